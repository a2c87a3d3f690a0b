using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Core.Ids;
using Nno.Core.Pagination;
using Nno.Registry.Access;
using Nno.Registry.Data;
using Nno.Registry.Fields;
using Nno.Registry.Paging;
using Nno.Registry.Platforms;

namespace Nno.Registry.Audit;

/// <summary>An audit entry as the API shows it.</summary>
internal sealed record AuditEntryView(
    string Id, string? PlatformId, string ActorType, string ActorId, string ActorAuth, string Action, string TargetType, string TargetId,
    string? RequestId, string? TraceId, JsonElement Details, DateTimeOffset CreatedAt)
{
    public static AuditEntryView From(AuditLogRecord e)
    {
        using var details = JsonDocument.Parse(e.Details);
        return new AuditEntryView(e.Id, e.PlatformId, e.ActorType, e.ActorId, e.ActorAuth, e.Action, e.TargetType, e.TargetId, e.RequestId, e.TraceId,
            details.RootElement.Clone(), DateTimeOffset.FromUnixTimeMilliseconds(e.CreatedAt));
    }
}

/// <summary>
/// The audit log reads of registry.md §3.4: a platform's (owners, admins, operators) and everyone's (operators; users get
/// 404). Newest first, keyset on (<c>created_at</c>, <c>id</c>); the log has no write routes (PUT/PATCH/DELETE → 405).
/// </summary>
internal static partial class AuditApi
{
    public static IEndpointRouteBuilder MapAudit(this IEndpointRouteBuilder app)
    {
        app.MapGet(PlatformsApi.Path + "/{pid:pid}/audit-log", ListForPlatformAsync)
            .WithTags("Audit").WithName("ListPlatformAuditLog").WithSummary("A platform's audit log, newest first (owners, admins, operators).");
        app.MapGet(PlatformsApi.Path + "/audit-log", ListAllAsync)
            .WithTags("Audit").WithName("ListAuditLog").WithSummary("The whole audit log, newest first (operators).");

        // The log is append-only: writes answer 405. Said explicitly because PATCH would otherwise reach the {pid:pid}
        // route's method set, whose constraint then rejects "audit-log" and leaves a 404.
        app.MapMethods(PlatformsApi.Path + "/audit-log", [HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete], MethodNotAllowed)
            .WithName("AuditLogIsReadOnly").ExcludeFromDescription();
        return app;
    }

    private static IResult MethodNotAllowed(HttpContext context)
    {
        var error = new ApiException(ErrorCodes.MethodNotAllowed, $"Method {context.Request.Method} is not allowed on {context.Request.Path.Value}: the audit log is read-only.");
        error.Headers["Allow"] = HttpMethods.Get;
        throw error;
    }

    private static async Task<Ok<Page<AuditEntryView>>> ListForPlatformAsync(
        string pid, HttpContext context, PlatformAccess access, RegistryDbContext db, RegistryCursors cursors,
        [FromQuery] string? action, [FromQuery] string? actorId, [FromQuery] string? since, [FromQuery] string? until, CancellationToken cancellationToken)
    {
        await access.RequireAsync(context, pid, AccessNeed.ManageRead, cancellationToken);
        return TypedResults.Ok(await PageAsync(context, db, cursors, pid, action, actorId, since, until, cancellationToken));
    }

    private static async Task<Ok<Page<AuditEntryView>>> ListAllAsync(
        HttpContext context, PlatformAccess access, RegistryDbContext db, RegistryCursors cursors,
        [FromQuery] string? platformId, [FromQuery] string? action, [FromQuery] string? actorId, [FromQuery] string? since, [FromQuery] string? until,
        CancellationToken cancellationToken)
    {
        if (!access.CallerOf(context).IsOperator)
        {
            // To users the route does not exist (registry.md §3.4, §7 test 21).
            throw new ApiException(ErrorCodes.NotFound, $"No route matches GET {context.Request.Path.Value} on the registry service.");
        }

        if (platformId is not null && !IdFormat.IsPlatformId(platformId))
        {
            throw ApiException.Validation("platformId", "must be a 10-character platform id");
        }

        return TypedResults.Ok(await PageAsync(context, db, cursors, platformId, action, actorId, since, until, cancellationToken));
    }

    private static async Task<Page<AuditEntryView>> PageAsync(
        HttpContext context, RegistryDbContext db, RegistryCursors cursors, string? platformId, string? action, string? actorId, string? since, string? until,
        CancellationToken cancellationToken)
    {
        var page = RegistryCursors.Request(context.Request);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (action is not null && !ActionPattern().IsMatch(action))
        {
            problems["action"] = ["must be an action or a prefix such as entity."];
        }

        if (actorId is not null && (actorId.Length is 0 or > 128 || FieldRules.NameProblem(actorId) is not null))
        {
            problems["actorId"] = ["must be 1–128 characters"];
        }

        var sinceAt = FieldRules.ParseTimestamp(since, out var sinceProblem);
        var untilAt = FieldRules.ParseTimestamp(until, out var untilProblem);
        if (sinceProblem is not null)
        {
            problems["since"] = [sinceProblem];
        }

        if (untilProblem is not null)
        {
            problems["until"] = [untilProblem];
        }

        if (sinceAt is not null && untilAt is not null && sinceAt > untilAt)
        {
            problems["since"] = ["must not be after until"];
        }

        if (problems.Count > 0)
        {
            throw ApiException.Validation(problems);
        }

        IQueryable<AuditLogRecord> entries = db.AuditLog.AsNoTracking();
        entries = platformId is null ? entries : entries.Where(e => e.PlatformId == platformId);
        entries = actorId is null ? entries : entries.Where(e => e.ActorId == actorId);
        if (action is not null)
        {
            // "entity." is a prefix; "entity.created" is exact. Action names hold no LIKE wildcards except '_', escaped.
            if (action.EndsWith('.'))
            {
                var pattern = action.Replace("_", "\\_", StringComparison.Ordinal) + "%";
                entries = entries.Where(e => EF.Functions.Like(e.Action, pattern, "\\"));
            }
            else
            {
                entries = entries.Where(e => e.Action == action);
            }
        }

        if (sinceAt is { } from)
        {
            var ms = from.ToUnixTimeMilliseconds();
            entries = entries.Where(e => e.CreatedAt >= ms);
        }

        if (untilAt is { } to)
        {
            var ms = to.ToUnixTimeMilliseconds();
            entries = entries.Where(e => e.CreatedAt <= ms);
        }

        var pager = cursors.Pager("audit", ("platformId", platformId), ("action", action), ("actorId", actorId), ("since", since), ("until", until));
        int? total = page.IncludeTotal ? await entries.CountAsync(cancellationToken) : null;
        if (pager.After(page) is { } after)
        {
            var (createdAt, id) = (after.Expect(2).GetInt64(0), after.GetString(1));
            entries = entries.Where(e => e.CreatedAt < createdAt || (e.CreatedAt == createdAt && string.Compare(e.Id, id) < 0));
        }

        var rows = await entries.OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id).Take(page.FetchCount).ToListAsync(cancellationToken);
        return pager.ToPage(rows, page, e => CursorPosition.Of(e.CreatedAt, e.Id), AuditEntryView.From, total);
    }

    [GeneratedRegex(@"^[a-z_]+(\.[a-z_]*)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex ActionPattern();
}
