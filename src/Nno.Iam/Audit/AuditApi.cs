using System.Globalization;
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
using Nno.Iam.Access;
using Nno.Iam.Data;
using Nno.Iam.Paging;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam.Audit;

/// <summary>One audit event as the API shows it (iam.md §3.7).</summary>
internal sealed record AuditEventView(
    string Id,
    DateTimeOffset OccurredAt,
    string Type,
    string Outcome,
    string ActorKind,
    string? ActorUserId,
    string? ActorKeyId,
    string? SubjectUserId,
    string? PlatformId,
    string? OrganizationId,
    string? Ip,
    string? UserAgent,
    string? RequestId,
    JsonElement Metadata)
{
    public static AuditEventView From(AuditEventRecord e)
    {
        ArgumentNullException.ThrowIfNull(e);
        using var metadata = JsonDocument.Parse(e.Metadata);
        return new AuditEventView(
            e.Id,
            DateTimeOffset.FromUnixTimeMilliseconds(e.OccurredAt),
            e.Type,
            e.Outcome,
            e.ActorKind,
            e.ActorUserId,
            e.ActorKeyId,
            e.SubjectUserId,
            e.PlatformId,
            e.OrganizationId,
            e.Ip,
            e.UserAgent,
            e.RequestId,
            metadata.RootElement.Clone());
    }
}

/// <summary>
/// The audit read API (iam.md §3.7): operators read everything; platform owners and admins read their platform's
/// events; every user reads the events where they are actor or subject (<c>scope=self</c>). Newest first, keyset on
/// (<c>occurred_at</c>, <c>id</c>), a window of at most 90 days so every query stays on an index range.
/// </summary>
internal static partial class AuditApi
{
    public const string Path = "/api/audit/events";
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(7);
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(90);

    public static IEndpointRouteBuilder MapAuditEvents(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).WithTags("Audit");
        group.MapGet("", ListAsync)
            .WithName("ListAuditEvents")
            .WithSummary("Audit events, newest first: operators any; platform owners/admins with platformId; anyone with scope=self.")
            .Produces<ErrorEnvelope>(StatusCodes.Status400BadRequest, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status403Forbidden, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json");
        group.MapGet("/{id}", GetAsync)
            .WithName("GetAuditEvent")
            .WithSummary("One audit event, with the list's visibility.")
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json");
        return app;
    }

    private static async Task<Ok<Page<AuditEventView>>> ListAsync(
        IamCallers callers,
        IamDbContext db,
        IamCursors cursors,
        TimeProvider time,
        [FromQuery] string? scope,
        [FromQuery] string? type,
        [FromQuery] string? actorUserId,
        [FromQuery] string? subjectUserId,
        [FromQuery] string? orgId,
        [FromQuery] string? platformId,
        [FromQuery] string? outcome,
        [FromQuery] string? from,
        [FromQuery] string? to,
        [FromQuery] string? cursor,
        [FromQuery] string? limit,
        [FromQuery] string? includeTotal,
        CancellationToken cancellationToken)
    {
        var caller = await Visible(callers, cancellationToken);
        var page = IamCursors.Parse(limit, cursor, includeTotal);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (scope is not (null or "self"))
        {
            problems["scope"] = ["must be self"];
        }

        if (type is not null && !TypePattern().IsMatch(type))
        {
            problems["type"] = ["must be an event type or a prefix such as auth.*"];
        }

        if (outcome is not (null or "success" or "failure"))
        {
            problems["outcome"] = ["must be success or failure"];
        }

        if (platformId is not null && !IdFormat.IsPlatformId(platformId))
        {
            problems["platformId"] = ["must be a 10-character platform id"];
        }

        var now = time.GetUtcNow();
        var toValue = ParseTime(to, "to", problems) ?? now;
        var fromValue = ParseTime(from, "from", problems) ?? (toValue < now ? toValue : now) - DefaultWindow;
        if (problems.Count == 0 && fromValue > toValue)
        {
            problems["from"] = ["must not be after to"];
        }
        else if (problems.Count == 0 && toValue - fromValue > MaxWindow)
        {
            problems["to"] = ["the window from–to must be at most 90 days"];
        }

        if (problems.Count > 0)
        {
            throw ApiException.Validation(problems);
        }

        IQueryable<AuditEventRecord> events = db.AuditEvents.AsNoTracking();
        if (scope == "self")
        {
            var self = caller.UserId ?? throw new ApiException(ErrorCodes.Forbidden, "scope=self is for users.");
            events = events.Where(e => e.ActorUserId == self || e.SubjectUserId == self);
        }
        else if (!caller.IsOperator)
        {
            var target = platformId ?? throw ApiException.Validation("platformId", "is required unless scope=self (the platform you administer)");
            switch (caller.RoleOn(target))
            {
                case null:
                    throw ApiException.NotFound("platform");
                case not ("owner" or "admin"):
                    throw new ApiException(ErrorCodes.Forbidden, "Only owners and admins of the platform read its audit events.");
            }
        }

        var (fromMs, toMs) = (fromValue.ToUnixTimeMilliseconds(), toValue.ToUnixTimeMilliseconds());
        events = events.Where(e => e.OccurredAt >= fromMs && e.OccurredAt <= toMs);
        events = platformId is null ? events : events.Where(e => e.PlatformId == platformId);
        events = actorUserId is null ? events : events.Where(e => e.ActorUserId == actorUserId);
        events = subjectUserId is null ? events : events.Where(e => e.SubjectUserId == subjectUserId);
        events = orgId is null ? events : events.Where(e => e.OrganizationId == orgId);
        events = outcome is null ? events : events.Where(e => e.Outcome == outcome);
        if (type is not null)
        {
            if (type.EndsWith(".*", StringComparison.Ordinal))
            {
                var prefix = type[..^1];
                events = events.Where(e => e.Type.StartsWith(prefix));
            }
            else
            {
                events = events.Where(e => e.Type == type);
            }
        }

        // The cursor is bound to the caller and to every filter as given.
        var pager = cursors.Pager(
            "audit",
            ("caller", caller.Principal.UserId),
            ("scope", scope),
            ("type", type),
            ("actorUserId", actorUserId),
            ("subjectUserId", subjectUserId),
            ("orgId", orgId),
            ("platformId", platformId),
            ("outcome", outcome),
            ("from", from),
            ("to", to));
        var total = page.IncludeTotal ? await events.CountAsync(cancellationToken) : (int?)null;
        if (pager.After(page) is { } after)
        {
            var (occurredAt, id) = (after.Expect(2).GetInt64(0), after.GetString(1));
            events = events.Where(e => e.OccurredAt < occurredAt || (e.OccurredAt == occurredAt && string.Compare(e.Id, id) < 0));
        }

        var rows = await events.OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id).Take(page.FetchCount).ToListAsync(cancellationToken);
        return TypedResults.Ok(pager.ToPage(rows, page, e => CursorPosition.Of(e.OccurredAt, e.Id), AuditEventView.From, total));
    }

    private static async Task<Ok<AuditEventView>> GetAsync(string id, IamCallers callers, IamDbContext db, CancellationToken cancellationToken)
    {
        var caller = await Visible(callers, cancellationToken);
        var e = await db.AuditEvents.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, cancellationToken);
        var visible = e is not null
            && (caller.IsOperator
                || (caller.UserId is { } self && (e.ActorUserId == self || e.SubjectUserId == self))
                || (e.PlatformId is { } pid && caller.RoleOn(pid) is "owner" or "admin"));
        return visible ? TypedResults.Ok(AuditEventView.From(e!)) : throw ApiException.NotFound("audit_event");
    }

    /// <summary>Users (S/K) and the static key; services are not on this route.</summary>
    private static async Task<IamCaller> Visible(IamCallers callers, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        return caller.Kind is PrincipalKind.Session or PrincipalKind.ApiKey or PrincipalKind.StaticKey
            ? caller
            : throw new ApiException(ErrorCodes.Forbidden, "The audit log is read by users and operators only.");
    }

    private static DateTimeOffset? ParseTime(string? value, string field, Dictionary<string, string[]> problems)
    {
        if (value is null)
        {
            return null;
        }

        if (IsoTimestamp().IsMatch(value) && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            return parsed.ToUniversalTime();
        }

        problems[field] = ["must be an ISO-8601 timestamp with offset, e.g. 2026-01-02T03:04:05Z"];
        return null;
    }

    [GeneratedRegex(@"^[a-z_]+(\.[a-z_]+)*(\.\*)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex TypePattern();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,7})?)?(Z|[+-][0-9]{2}:[0-9]{2})\z", RegexOptions.CultureInvariant)]
    private static partial Regex IsoTimestamp();
}
