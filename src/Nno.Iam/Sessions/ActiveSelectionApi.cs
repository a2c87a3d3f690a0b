using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Iam.Access;
using Nno.Iam.Audit;
using Nno.Iam.Data;
using Nno.Iam.Evictions;
using Nno.Iam.Platforms;

namespace Nno.Iam.Sessions;

/// <summary>Body of <c>POST /api/nno/session/active-platform</c>: a platform id, or null to clear the choice.</summary>
internal sealed record ActivePlatformRequest(string? PlatformId);

/// <summary>Body of <c>POST /api/nno/session/active-organization</c>: an organization id, or null to clear it.</summary>
internal sealed record ActiveOrganizationRequest(string? OrganizationId);

/// <summary>
/// Choosing the session's active platform and organization (iam.md §3.3, §4.2). The choice is only the default for
/// calls that omit <c>platformId</c>; membership is checked against the database, not the forwarded headers, so a
/// membership removed a moment ago cannot be chosen.
/// </summary>
internal static class ActiveSelectionApi
{
    public static IEndpointRouteBuilder MapActiveSelection(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(NnoSessionApi.Path).WithTags("Sessions");
        group.MapPost("/active-platform", SetPlatformAsync)
            .WithName("SetActivePlatform").WithSummary("Choose the session's active platform (null clears it); returns the enriched session.");
        group.MapPost("/active-organization", SetOrganizationAsync)
            .WithName("SetActiveOrganization").WithSummary("Choose the session's active organization and with it its platform (null clears it); returns the enriched session.");
        return app;
    }

    private static async Task<Ok<EnrichedSession>> SetPlatformAsync(
        ActivePlatformRequest body, IamCallers callers, IamDbContext db, SessionStore sessions, EnrichedSessionBuilder builder,
        AuditLog audit, IamEvictions evictions, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        var session = caller.Session!;
        string? organizationId = session.ActiveOrganizationId;
        if (body.PlatformId is { } platformId)
        {
            PlatformAccess.RequirePlatformId(platformId);
            if (!caller.IsOperator && !await db.PlatformMembers.AnyAsync(m => m.PlatformId == platformId && m.UserId == session.UserId, cancellationToken))
            {
                throw ApiException.NotFound("platform");
            }

            // The active organization must stay on the active platform.
            if (organizationId is not null && !await db.Organizations.AnyAsync(o => o.Id == organizationId && o.PlatformId == platformId, cancellationToken))
            {
                organizationId = null;
            }
        }
        else
        {
            organizationId = null;
        }

        return await SaveAsync(caller, body.PlatformId, organizationId, db, sessions, builder, audit, evictions, time, cancellationToken);
    }

    private static async Task<Ok<EnrichedSession>> SetOrganizationAsync(
        ActiveOrganizationRequest body, IamCallers callers, IamDbContext db, SessionStore sessions, EnrichedSessionBuilder builder,
        AuditLog audit, IamEvictions evictions, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        var session = caller.Session!;
        var platformId = session.ActivePlatformId;
        if (body.OrganizationId is { } organizationId)
        {
            var userId = session.UserId;
            var found = await db.Organizations.AsNoTracking()
                .Where(o => o.Id == organizationId && o.DeletedAt == null)
                .Select(o => new
                {
                    o.PlatformId,
                    IsMember = db.Members.Any(m => m.OrganizationId == o.Id && m.UserId == userId),
                    PlatformRole = db.PlatformMembers.Where(m => m.PlatformId == o.PlatformId && m.UserId == userId).Select(m => m.Role).FirstOrDefault(),
                })
                .FirstOrDefaultAsync(cancellationToken);
            // Tenant members, and the platform's owners and admins who manage every tenant of it (§4.7); operators any.
            if (found is null || !(caller.IsOperator || found.IsMember || MemberRoles.IsOwnerOrAdmin(found.PlatformRole)))
            {
                throw ApiException.NotFound("organization");
            }

            platformId = found.PlatformId;
        }

        return await SaveAsync(caller, platformId, body.OrganizationId, db, sessions, builder, audit, evictions, time, cancellationToken);
    }

    private static async Task<Ok<EnrichedSession>> SaveAsync(
        IamCaller caller, string? platformId, string? organizationId, IamDbContext db, SessionStore sessions, EnrichedSessionBuilder builder,
        AuditLog audit, IamEvictions evictions, TimeProvider time, CancellationToken cancellationToken)
    {
        var session = caller.Session!;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await db.Sessions.Where(s => s.Id == session.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.ActivePlatformId, platformId).SetProperty(s => s.ActiveOrganizationId, organizationId).SetProperty(s => s.UpdatedAt, now), cancellationToken);
        audit.Add(caller.Audit(AuditEventTypes.SessionPlatformSwitched) with
        {
            SubjectUserId = session.UserId,
            PlatformId = platformId,
            OrganizationId = organizationId,
            Metadata = caller.Meta(("sessionId", session.Id), ("fromPlatformId", session.ActivePlatformId), ("fromOrganizationId", session.ActiveOrganizationId)),
        });
        await db.SaveChangesAsync(cancellationToken);
        evictions.Session(session.Id);
        var valid = await sessions.FindByIdAsync(session.Id, cancellationToken) ?? throw new ApiException(ErrorCodes.Unauthorized, "The session is no longer valid.");
        return TypedResults.Ok(await builder.ForSessionAsync(valid, cancellationToken));
    }
}
