using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Core.Identity;
using Nno.Core.Services;
using Nno.Iam.Access;
using Nno.Iam.Data;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam.Sessions;

/// <summary><c>GET /api/nno/session</c> (iam.md §3.3): the one session-validation route, used by the gateway and by users.</summary>
internal static class NnoSessionApi
{
    public const string Path = "/api/nno/session";

    public static IEndpointRouteBuilder MapNnoSession(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, GetAsync)
            .WithName("GetEnrichedSession")
            .WithSummary("The caller's enriched session: user, role, platforms, active platform and organization, effective permissions. The gateway validates session tokens here.")
            .WithTags("Sessions")
            .Produces<ErrorEnvelope>(StatusCodes.Status401Unauthorized, "application/json")
            .AllowServices(NnoServices.Gateway);
        return app;
    }

    private static async Task<Ok<EnrichedSession>> GetAsync(
        HttpContext context,
        IamCallers callers,
        SessionStore sessions,
        EnrichedSessionBuilder builder,
        IamDbContext db,
        CancellationToken cancellationToken)
    {
        var principal = context.RequirePrincipal();
        var presented = context.Request.Headers[NnoIdentityHeaders.SessionToken].ToString();
        switch (principal.Kind)
        {
            case PrincipalKind.GatewaySelf when presented.Length > 0:
            {
                var valid = await sessions.FindByTokenAsync(presented, cancellationToken) ?? throw Invalid();
                await sessions.TouchAsync(valid.Session, cancellationToken);
                return TypedResults.Ok(await builder.ForSessionAsync(valid, cancellationToken));
            }

            case PrincipalKind.Session:
            {
                var valid = await sessions.FindByIdAsync(principal.SessionId!, cancellationToken);
                if (valid is null || valid.User.Id != principal.UserId)
                {
                    throw Invalid();
                }

                await sessions.TouchAsync(valid.Session, cancellationToken);
                return TypedResults.Ok(await builder.ForSessionAsync(valid, cancellationToken));
            }

            case PrincipalKind.ApiKey:
            {
                var caller = await callers.GetAsync(cancellationToken);
                var key = caller.ApiKey!;
                var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == key.UserId, cancellationToken);
                var twoFactor = await db.MfaFactors.AnyAsync(f => f.UserId == user.Id && f.ConfirmedAt != null, cancellationToken);
                return TypedResults.Ok(await builder.ForApiKeyAsync(key, user, twoFactor, cancellationToken));
            }

            case PrincipalKind.Anonymous:
            case PrincipalKind.GatewaySelf:
                throw Invalid();

            default:
                // The static key is not a user and has no session; X-Nno-Session-Token is read only from the gateway's own call.
                throw new ApiException(ErrorCodes.Forbidden, "Only users and the gateway's own validation call have a session.");
        }
    }

    private static ApiException Invalid() => new(ErrorCodes.Unauthorized, "The session is invalid, expired or revoked.");
}
