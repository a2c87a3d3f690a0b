using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Core.Pagination;
using Nno.StackRegistry.Data;
using Nno.StackRegistry.Definitions;
using Nno.StackRegistry.Paging;
using Nno.Stacks.Definitions;
using Nno.Stacks.Versions;
using Nno.StackRegistry.Templates;

namespace Nno.StackRegistry.Versions;

/// <summary><c>POST /api/v1/stacks/{name}/versions</c> body.</summary>
internal sealed record PublishVersionRequest(string Version, JsonElement Definition, string? Changelog = null);

/// <summary><c>POST …/versions/{version}/deprecate</c> body.</summary>
internal sealed record DeprecateVersionRequest(string Reason);

/// <summary>The outcome of a publish: the version and whether this call created it (201) or found it identical (200).</summary>
internal sealed record PublishOutcome(TemplateVersionView Version, bool Created);

/// <summary>
/// Versions and <c>latest_version</c> (stack-registry.md §4.2): publish in one transaction that holds the writer lock,
/// back-ports that never lower <c>latest_version</c>, one-way deprecation with a recompute, at most 500 per template.
/// </summary>
internal sealed class VersionCatalogue(MarketplaceDbContext db, TemplateCatalogue templates, StackCursors cursors, DefinitionCache cache, StackIds ids, TimeProvider time)
{
    public const int MaxVersions = 500;
    public const int MaxChangelogLength = 10_000;
    public const string Latest = "latest";

    /// <summary>Validates a publish request without touching the database (400 with every problem).</summary>
    public static (ParsedVersion Version, CanonicalDefinition Definition, string? Changelog) ValidatePublish(string templateName, PublishVersionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problems = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var versionText = request.Version;
        if (!SemanticVersions.TryParse(versionText, out var version))
        {
            TextRules.Add(problems, "version", SemanticVersions.Rule);
        }

        string? changelog = null;
        if (request.Changelog is not null)
        {
            changelog = TextRules.Text(problems, "changelog", request.Changelog, 0, MaxChangelogLength, allowLineBreaks: true);
            changelog = changelog is { Length: 0 } ? null : changelog;
        }

        var definition = StackDefinitionValidator.Check(request.Definition, templateName, versionText, "definition", problems);
        if (problems.Count > 0)
        {
            throw TextRules.ToException(problems);
        }

        return (version, definition!, changelog);
    }

    public async Task<PublishOutcome> PublishAsync(string name, PublishVersionRequest request, string actor, CancellationToken cancellationToken)
    {
        // Unknown or malformed names are 404 before any body rule: there is nothing to publish to.
        if (!TemplateNames.IsWellFormed(name))
        {
            throw ApiException.NotFound("stack_template");
        }

        var (version, definition, changelog) = ValidatePublish(name, request);
        return await PublishValidatedAsync(name, version, definition, changelog, actor, cancellationToken);
    }

    /// <summary>Publishes a validated version (the API and the seed catalogue share this).</summary>
    public async Task<PublishOutcome> PublishValidatedAsync(
        string name, ParsedVersion version, CanonicalDefinition definition, string? changelog, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(definition);
        try
        {
            return await InsertAsync(name, version, definition, changelog, actor, cancellationToken);
        }
        catch (DbUpdateException ex) when (ConstraintViolations.IsUnique(ex))
        {
            // A concurrent publish of the same version won the unique index: re-read and answer as if it had come first.
            db.ChangeTracker.Clear();
            var template = await templates.GetAsync(name, tracked: false, cancellationToken);
            var existing = await db.Versions.AsNoTracking().FirstAsync(v => v.TemplateId == template.Id && v.Version == version.Text, cancellationToken);
            return SameContent(existing, definition, changelog)
                ? new PublishOutcome(View(template, existing), Created: false)
                : throw VersionExists(version.Text);
        }
    }

    private async Task<PublishOutcome> InsertAsync(
        string name, ParsedVersion version, CanonicalDefinition definition, string? changelog, string actor, CancellationToken cancellationToken)
    {
        // SQLite transactions begin IMMEDIATE: this holds the single writer lock (the "locked template row") throughout.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var template = await templates.GetAsync(name, tracked: true, cancellationToken);
        var existing = await db.Versions.AsNoTracking().FirstOrDefaultAsync(v => v.TemplateId == template.Id && v.Version == version.Text, cancellationToken);
        if (existing is not null)
        {
            return SameContent(existing, definition, changelog)
                ? new PublishOutcome(View(template, existing), Created: false)
                : throw VersionExists(version.Text);
        }

        if (template.Status == CatalogueStatuses.Deprecated)
        {
            throw new ApiException(ErrorCodes.Conflict, $"The stack template '{name}' is deprecated; re-activate it to publish.", new { reason = "template_deprecated" });
        }

        var others = await db.Versions.AsNoTracking().Where(v => v.TemplateId == template.Id)
            .Select(v => new { v.Version, v.Status }).ToListAsync(cancellationToken);
        if (others.Count >= MaxVersions)
        {
            throw new ApiException(ErrorCodes.Conflict, $"The stack template '{name}' already has {MaxVersions} versions.", new { reason = "version_limit", limit = MaxVersions });
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var record = new StackTemplateVersionRecord
        {
            Id = ids.Version(),
            TemplateId = template.Id,
            Version = version.Text,
            Major = version.Major,
            Minor = version.Minor,
            Patch = version.Patch,
            Prerelease = version.Prerelease,
            Definition = definition.Json,
            DefinitionSha256 = definition.Sha256,
            FeatureCount = definition.FeatureCount,
            Changelog = changelog,
            Status = CatalogueStatuses.Active,
            PublishedBy = actor,
            PublishedAt = now,
        };
        db.Versions.Add(record);
        template.LatestVersion = SemanticVersions.Latest(others.Select(o => (o.Version, o.Status)).Append((version.Text, CatalogueStatuses.Active)));
        template.UpdatedAt = now;
        template.UpdatedBy = actor;
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new PublishOutcome(View(template, record), Created: true);
    }

    public async Task<Page<TemplateVersionSummary>> ListAsync(string name, string? status, PageRequest page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        status ??= "all";
        if (status is not (CatalogueStatuses.Active or CatalogueStatuses.Deprecated or "all"))
        {
            throw ApiException.Validation("status", "must be all, active or deprecated");
        }

        var template = await templates.GetAsync(name, tracked: false, cancellationToken);
        var query = db.Versions.AsNoTracking().Where(v => v.TemplateId == template.Id);
        query = status == "all" ? query : query.Where(v => v.Status == status);
        var pager = cursors.Pager("versions", ("template", template.Id), ("status", status));
        ParsedVersion? after = null;
        if (pager.After(page) is { } position)
        {
            after = SemanticVersions.TryParse(position.Expect(1).GetString(0), out var parsed) ? parsed : throw Nno.Core.Errors.ApiException.Validation("cursor", "is invalid");
        }

        // Semver precedence is not a SQL order: at most 500 short rows per template are sorted here (stack-registry.md §8).
        var rows = await query.Select(v => new
        {
            v.Id, v.Version, v.Status, v.DefinitionSha256, v.FeatureCount, v.Changelog, v.PublishedBy, v.PublishedAt, v.DeprecatedBy, v.DeprecatedAt, v.DeprecationReason,
        }).ToListAsync(cancellationToken);
        var ordered = rows.Select(r => (Row: r, Parsed: SemanticVersions.ParseStored(r.Version)))
            .OrderBy(r => r.Parsed, SemanticVersions.Descending)
            .Where(r => after is null || SemanticVersions.Descending.Compare(r.Parsed, after) > 0)
            .Take(page.FetchCount)
            .ToList();
        return pager.ToPage(ordered, page, r => CursorPosition.Of(r.Row.Version), r => new TemplateVersionSummary(
            r.Row.Id, template.Id, template.Name, r.Row.Version, r.Row.Status, r.Row.DefinitionSha256, r.Row.FeatureCount, r.Row.Changelog, r.Row.PublishedBy,
            DateTimeOffset.FromUnixTimeMilliseconds(r.Row.PublishedAt), r.Row.DeprecatedBy,
            r.Row.DeprecatedAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null, r.Row.DeprecationReason),
            page.IncludeTotal ? rows.Count : null);
    }

    /// <summary>
    /// One version (<c>latest</c> resolves <c>latest_version</c>); the immutable content comes from the cache, the status
    /// and deprecation columns are read fresh. 404 for an unknown or malformed version, or <c>latest</c> with none active.
    /// </summary>
    public async Task<TemplateVersionView> GetAsync(string name, string version, CancellationToken cancellationToken)
    {
        var template = await templates.GetAsync(name, tracked: false, cancellationToken);
        var resolved = version == Latest ? template.LatestVersion : version;
        if (resolved is null || !SemanticVersions.TryParse(resolved, out _))
        {
            throw ApiException.NotFound("stack_template_version");
        }

        return await ReadAsync(template, resolved, cancellationToken) ?? throw ApiException.NotFound("stack_template_version");
    }

    /// <summary>The template's latest version, or null when none is active.</summary>
    public async Task<TemplateVersionView?> LatestAsync(StackTemplateRecord template, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(template);
        return template.LatestVersion is { } latest ? await ReadAsync(template, latest, cancellationToken) : null;
    }

    private async Task<TemplateVersionView?> ReadAsync(StackTemplateRecord template, string version, CancellationToken cancellationToken)
    {
        var state = await db.Versions.AsNoTracking().Where(v => v.TemplateId == template.Id && v.Version == version)
            .Select(v => new { v.Id, v.Status, v.DeprecatedBy, v.DeprecatedAt, v.DeprecationReason })
            .FirstOrDefaultAsync(cancellationToken);
        if (state is null)
        {
            return null;
        }

        if (!cache.TryGet(template.Id, version, out var content))
        {
            var row = await db.Versions.AsNoTracking().FirstAsync(v => v.Id == state.Id, cancellationToken);
            content = cache.Add(template.Id, version, Content(row));
        }

        return View(template, version, content, state.Status, state.DeprecatedBy, state.DeprecatedAt, state.DeprecationReason);
    }

    public async Task<TemplateVersionView> DeprecateAsync(string name, string version, DeprecateVersionRequest request, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problems = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var reason = TextRules.Text(problems, "reason", request.Reason, 1, 500);
        if (problems.Count > 0)
        {
            throw TextRules.ToException(problems);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var template = await templates.GetAsync(name, tracked: true, cancellationToken);
        if (!SemanticVersions.TryParse(version, out _))
        {
            throw ApiException.NotFound("stack_template_version");
        }

        var record = await db.Versions.FirstOrDefaultAsync(v => v.TemplateId == template.Id && v.Version == version, cancellationToken)
            ?? throw ApiException.NotFound("stack_template_version");
        if (record.Status != CatalogueStatuses.Active)
        {
            throw new ApiException(ErrorCodes.InvalidTransition, $"Version {version} is already deprecated; publish a new patch version instead.", new { from = record.Status, to = CatalogueStatuses.Deprecated });
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        record.Status = CatalogueStatuses.Deprecated;
        record.DeprecatedBy = actor;
        record.DeprecatedAt = now;
        record.DeprecationReason = reason;
        var all = await db.Versions.AsNoTracking().Where(v => v.TemplateId == template.Id).Select(v => new { v.Version, v.Status }).ToListAsync(cancellationToken);
        template.LatestVersion = SemanticVersions.Latest(all.Select(v => v.Version == version ? (v.Version, CatalogueStatuses.Deprecated) : (v.Version, v.Status)));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return View(template, record);
    }

    private static bool SameContent(StackTemplateVersionRecord existing, CanonicalDefinition definition, string? changelog) =>
        existing.DefinitionSha256 == definition.Sha256 && existing.Definition == definition.Json && existing.Changelog == changelog;

    private static ApiException VersionExists(string version) =>
        new(ErrorCodes.Conflict, $"Version {version} already exists with different content; versions are immutable.", new { reason = "version_exists", version });

    private TemplateVersionView View(StackTemplateRecord template, StackTemplateVersionRecord record)
    {
        var content = cache.TryGet(template.Id, record.Version, out var cached) ? cached : cache.Add(template.Id, record.Version, Content(record));
        return View(template, record.Version, content, record.Status, record.DeprecatedBy, record.DeprecatedAt, record.DeprecationReason);
    }

    private static PublishedContent Content(StackTemplateVersionRecord row) =>
        new(row.Id, DefinitionCache.Parse(row.Definition), row.DefinitionSha256, row.FeatureCount, row.Changelog, row.PublishedBy, row.PublishedAt);

    private static TemplateVersionView View(
        StackTemplateRecord template, string version, PublishedContent content, string status, string? deprecatedBy, long? deprecatedAt, string? reason) =>
        new(content.Id, template.Id, template.Name, version, status, content.Definition, content.DefinitionSha256, content.FeatureCount, content.Changelog,
            content.PublishedBy, DateTimeOffset.FromUnixTimeMilliseconds(content.PublishedAt), deprecatedBy,
            deprecatedAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null, reason);
}
