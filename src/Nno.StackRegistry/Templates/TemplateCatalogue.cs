using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Core.Ids;
using Nno.Core.Pagination;
using Nno.StackRegistry.Data;
using Nno.StackRegistry.Definitions;
using Nno.StackRegistry.Paging;
using Nno.Stacks.Definitions;
using Nno.Stacks.Versions;

namespace Nno.StackRegistry.Templates;

/// <summary>Templates (stack-registry.md §4.3): create, list, read, change; never deleted, name immutable, at most 1,000.</summary>
internal sealed class TemplateCatalogue(MarketplaceDbContext db, StackCursors cursors, StackIds ids, TimeProvider time)
{
    public const int MaxTemplates = 1000;
    public const int MaxQueryLength = 100;

    private static readonly string[] PatchFields = ["displayName", "description", "icon", "domain", "status"];

    public async Task<TemplateView> CreateAsync(CreateTemplateRequest request, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problems = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var name = request.Name.Trim();
        if (TemplateNames.Problem(name) is { } nameProblem)
        {
            TextRules.Add(problems, "name", nameProblem);
        }

        var displayName = TextRules.Text(problems, "displayName", request.DisplayName, 1, 128);
        var description = TextRules.Text(problems, "description", request.Description, 1, 1024);
        var icon = Icon(problems, request.Icon);
        var domain = Domain(problems, request.Domain);
        if (problems.Count > 0)
        {
            throw TextRules.ToException(problems);
        }

        return TemplateView.From(await InsertAsync(name, displayName!, description!, icon, domain, actor, cancellationToken)
            ?? throw new ApiException(ErrorCodes.Conflict, $"A stack template named '{name}' already exists.", new { reason = "name_exists", name }));
    }

    /// <summary>Inserts a template; null when the name exists (any status). 409 when the catalogue is full.</summary>
    public async Task<StackTemplateRecord?> InsertAsync(string name, string displayName, string description, string? icon, string? domain, string actor, CancellationToken cancellationToken)
    {
        // SQLite transactions begin IMMEDIATE: the count and the insert see no other writer in between.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await db.Templates.AnyAsync(t => t.Name == name, cancellationToken))
        {
            return null;
        }

        if (await db.Templates.CountAsync(cancellationToken) >= MaxTemplates)
        {
            throw new ApiException(ErrorCodes.Conflict, $"The catalogue is full: at most {MaxTemplates} templates.", new { reason = "catalogue_full", limit = MaxTemplates });
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var record = new StackTemplateRecord
        {
            Id = ids.Template(),
            Name = name,
            DisplayName = displayName,
            Description = description,
            Icon = icon,
            Domain = domain,
            Status = CatalogueStatuses.Active,
            CreatedBy = actor,
            UpdatedBy = actor,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Templates.Add(record);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ConstraintViolations.IsUnique(ex))
        {
            // Another replica on a shared database inserted the name first.
            return null;
        }

        await transaction.CommitAsync(cancellationToken);
        return record;
    }

    public async Task<Page<TemplateView>> ListAsync(string? status, string? domain, string? q, PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        var problems = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        status ??= CatalogueStatuses.Active;
        if (status is not (CatalogueStatuses.Active or CatalogueStatuses.Deprecated or "all"))
        {
            TextRules.Add(problems, "status", "must be active, deprecated or all");
        }

        if (domain is not null && !TemplateNames.IsDomain(domain))
        {
            TextRules.Add(problems, "domain", "must match ^[a-z0-9-]{1,32}$");
        }

        if (q is not null && (q.Length is 0 or > MaxQueryLength || TextRules.HasForbiddenCharacters(q)))
        {
            TextRules.Add(problems, "q", $"must be 1–{MaxQueryLength} characters without control characters");
        }

        if (problems.Count > 0)
        {
            throw TextRules.ToException(problems);
        }

        IQueryable<StackTemplateRecord> query = db.Templates.AsNoTracking();
        query = status == "all" ? query : query.Where(t => t.Status == status);
        query = domain is null ? query : query.Where(t => t.Domain == domain);
        if (q is not null)
        {
            // LIKE with its wildcards escaped: '%' and '_' in q are literal characters (SQLite LIKE is case-insensitive for ASCII).
            var pattern = "%" + q.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
            query = query.Where(t => EF.Functions.Like(t.Name, pattern, "\\") || EF.Functions.Like(t.DisplayName, pattern, "\\"));
        }

        var pager = cursors.Pager("templates", ("status", status), ("domain", domain), ("q", q));
        var total = page.IncludeTotal ? await query.CountAsync(cancellationToken) : (int?)null;
        if (pager.After(page) is { } after)
        {
            var last = after.Expect(1).GetString(0);
            query = query.Where(t => string.Compare(t.Name, last) > 0);
        }

        var rows = await query.OrderBy(t => t.Name).Take(page.FetchCount).ToListAsync(cancellationToken);
        return pager.ToPage(rows, page, t => CursorPosition.Of(t.Name), TemplateView.From, total);
    }

    /// <summary>The template named <paramref name="name"/> (any status); 404 for unknown or malformed names.</summary>
    public async Task<StackTemplateRecord> GetAsync(string name, bool tracked, CancellationToken cancellationToken)
    {
        if (!TemplateNames.IsWellFormed(name))
        {
            throw ApiException.NotFound("stack_template");
        }

        var query = tracked ? db.Templates : db.Templates.AsNoTracking();
        return await query.FirstOrDefaultAsync(t => t.Name == name, cancellationToken) ?? throw ApiException.NotFound("stack_template");
    }

    /// <summary>
    /// PATCH: any of displayName, description, icon (null clears), domain (null clears), status. <c>name</c> is immutable,
    /// unknown fields and an empty body are 400.
    /// </summary>
    public async Task<TemplateView> UpdateAsync(string name, JsonElement body, string actor, CancellationToken cancellationToken)
    {
        var problems = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw ApiException.Validation("body", "must be a JSON object");
        }

        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in body.EnumerateObject())
        {
            if (property.Name == "name")
            {
                TextRules.Add(problems, "name", "is immutable");
            }
            else if (!PatchFields.Contains(property.Name, StringComparer.Ordinal))
            {
                TextRules.Add(problems, property.Name, "is not a known field");
            }
            else if (!fields.TryAdd(property.Name, property.Value))
            {
                TextRules.Add(problems, property.Name, "appears more than once");
            }
        }

        if (problems.Count == 0 && fields.Count == 0)
        {
            throw ApiException.Validation("body", "must change at least one of displayName, description, icon, domain, status");
        }

        string? displayName = null, description = null, icon = null, domain = null, status = null;
        if (fields.TryGetValue("displayName", out var dn))
        {
            displayName = StringOrProblem(problems, "displayName", dn) is { } text ? TextRules.Text(problems, "displayName", text, 1, 128) : null;
        }

        if (fields.TryGetValue("description", out var ds))
        {
            description = StringOrProblem(problems, "description", ds) is { } text ? TextRules.Text(problems, "description", text, 1, 1024) : null;
        }

        if (fields.TryGetValue("icon", out var ic) && ic.ValueKind != JsonValueKind.Null)
        {
            icon = StringOrProblem(problems, "icon", ic) is { } text ? Icon(problems, text) : null;
        }

        if (fields.TryGetValue("domain", out var dm) && dm.ValueKind != JsonValueKind.Null)
        {
            domain = StringOrProblem(problems, "domain", dm) is { } text ? Domain(problems, text) : null;
        }

        if (fields.TryGetValue("status", out var st))
        {
            status = StringOrProblem(problems, "status", st);
            if (status is not null and not (CatalogueStatuses.Active or CatalogueStatuses.Deprecated))
            {
                TextRules.Add(problems, "status", "must be active or deprecated");
            }
        }

        if (problems.Count > 0)
        {
            throw TextRules.ToException(problems);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var template = await GetAsync(name, tracked: true, cancellationToken);
        template.DisplayName = displayName ?? template.DisplayName;
        template.Description = description ?? template.Description;
        template.Icon = fields.ContainsKey("icon") ? icon : template.Icon;
        template.Domain = fields.ContainsKey("domain") ? domain : template.Domain;
        template.Status = status ?? template.Status;
        template.UpdatedBy = actor;
        template.UpdatedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TemplateView.From(template);
    }

    private static string? StringOrProblem(IDictionary<string, List<string>> problems, string field, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }

        TextRules.Add(problems, field, "must be a string");
        return null;
    }

    private static string? Icon(IDictionary<string, List<string>> problems, string? icon)
    {
        var trimmed = icon?.Trim();
        if (trimmed is not null && !TemplateNames.IsIcon(trimmed))
        {
            TextRules.Add(problems, "icon", "must be a Lucide icon name (^[a-z0-9]+(-[a-z0-9]+)*$, at most 64 characters)");
        }

        return trimmed;
    }

    private static string? Domain(IDictionary<string, List<string>> problems, string? domain)
    {
        var trimmed = domain?.Trim();
        if (trimmed is not null && !TemplateNames.IsDomain(trimmed))
        {
            TextRules.Add(problems, "domain", "must match ^[a-z0-9-]{1,32}$");
        }

        return trimmed;
    }
}
