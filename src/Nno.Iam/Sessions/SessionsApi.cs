using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Core.Pagination;
using Nno.Iam.Access;
using Nno.Iam.Audit;
using Nno.Iam.Data;
using Nno.Iam.Evictions;
using Nno.Iam.Paging;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam.Sessions;

/// <summary>One of the caller's live sessions: the <c>session</c> object plus whether it is the one making the request.</summary>
internal sealed record SessionListItem(
    string Id,
    string UserId,
    DateTimeOffset ExpiresAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? IpAddress,
    string? UserAgent,
    string? ActiveOrganizationId,
    string? ActivePlatformId,
    string AuthMethod,
    bool MfaVerified,
    bool Current);

internal sealed record RevokedCountResponse(int Revoked);

/// <summary>The caller's sessions (iam.md §3.2): list, revoke one, revoke all others.</summary>
internal static class SessionsApi
{
    public static IEndpointRouteBuilder MapSessions(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/sessions").WithTags("Sessions");
        group.MapGet("/", ListAsync)
            .WithName("ListSessions")
            .WithSummary("The caller's live sessions, newest first, with the current one marked.")
            .Produces<ErrorEnvelope>(StatusCodes.Status400BadRequest, "application/json");
        group.MapDelete("/{id}", RevokeAsync)
            .WithName("RevokeSession")
            .WithSummary("Revoke one of the caller's sessions (operators: any session). Idempotent.")
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json");
        group.MapPost("/revoke-others", RevokeOthersAsync)
            .WithName("RevokeOtherSessions")
            .WithSummary("Revoke every session of the caller except the current one.");
        return app;
    }

    private static async Task<Ok<Page<SessionListItem>>> ListAsync(
        [FromQuery(Name = "limit")] string? limit,
        [FromQuery(Name = "cursor")] string? cursor,
        [FromQuery(Name = "includeTotal")] string? includeTotal,
        IamCallers callers,
        IamDbContext db,
        IamCursors cursors,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        var userId = caller.UserId!;
        var currentId = caller.Session!.Id;
        var request = PageRequest.Parse(limit, cursor, includeTotal);
        var pager = cursors.Pager("sessions", ("userId", userId));
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var live = db.Sessions.AsNoTracking().Where(s => s.UserId == userId && s.RevokedAt == null && s.ExpiresAt > now && s.AbsoluteExpiresAt > now);
        var query = live;
        if (pager.After(request)?.Expect(2) is { } after)
        {
            var createdAt = after.GetInt64(0);
            var id = after.GetString(1);
            query = query.Where(s => s.CreatedAt < createdAt || (s.CreatedAt == createdAt && string.Compare(s.Id, id) < 0));
        }

        var rows = await query.OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id).Take(request.FetchCount).ToListAsync(cancellationToken);
        int? total = request.IncludeTotal ? await live.CountAsync(cancellationToken) : null;
        return TypedResults.Ok(pager.ToPage(rows, request, s => CursorPosition.Of(s.CreatedAt, s.Id), s => ItemOf(s, s.Id == currentId), total));
    }

    private static async Task<NoContent> RevokeAsync(
        string id,
        IamCallers callers,
        IamDbContext db,
        SessionStore sessions,
        IamEvictions evictions,
        AuditLog audit,
        CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        if (!caller.IsOperator && caller.Kind != PrincipalKind.Session)
        {
            throw new ApiException(ErrorCodes.Forbidden, "Only the session's own user (signed in) or an operator can revoke it.");
        }

        var target = await db.Sessions.AsNoTracking().Where(s => s.Id == id).Select(s => new { s.UserId, s.RevokedAt }).FirstOrDefaultAsync(cancellationToken);
        if (target is null || (!caller.IsOperator && target.UserId != caller.UserId))
        {
            throw ApiException.NotFound("session");
        }

        if (target.RevokedAt is not null)
        {
            // Idempotent: already revoked is success; the eviction is repeated in case a cache still holds it.
            evictions.Session(id);
            return TypedResults.NoContent();
        }

        var own = target.UserId == caller.UserId;
        await sessions.RevokeAsync(q => q.Where(s => s.Id == id), own ? RevokeReasons.User : RevokeReasons.Admin, cancellationToken);
        audit.Add(caller.Audit(AuditEventTypes.SessionRevoked) with { SubjectUserId = target.UserId, Metadata = new Dictionary<string, object?> { ["sessionId"] = id } });
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<RevokedCountResponse>> RevokeOthersAsync(
        IamCallers callers,
        IamDbContext db,
        SessionStore sessions,
        IamEvictions evictions,
        AuditLog audit,
        CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        var userId = caller.UserId!;
        var currentId = caller.Session!.Id;
        var revoked = await sessions.RevokeAsync(q => q.Where(s => s.UserId == userId && s.Id != currentId), RevokeReasons.User, cancellationToken);
        audit.Add(caller.Audit(AuditEventTypes.SessionRevoked) with { SubjectUserId = userId, Metadata = new Dictionary<string, object?> { ["scope"] = "others", ["count"] = revoked } });
        await db.SaveChangesAsync(cancellationToken);
        evictions.User(userId);
        return TypedResults.Ok(new RevokedCountResponse(revoked));
    }

    private static SessionListItem ItemOf(SessionRecord s, bool current)
    {
        var view = SessionView.From(s);
        return new SessionListItem(view.Id, view.UserId, view.ExpiresAt, view.CreatedAt, view.UpdatedAt, view.IpAddress, view.UserAgent, view.ActiveOrganizationId, view.ActivePlatformId, view.AuthMethod, view.MfaVerified, current);
    }
}
