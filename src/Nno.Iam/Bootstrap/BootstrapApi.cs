using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Nno.Core.Errors;
using Nno.Iam.Access;
using Nno.Iam.Audit;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam.Bootstrap;

/// <summary><c>GET|POST /api/nno/bootstrap</c> (iam.md §3.5): the first operator of a new installation, through the gateway's static key.</summary>
internal static class BootstrapApi
{
    public const string Path = "/api/nno/bootstrap";

    public static IEndpointRouteBuilder MapBootstrap(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).WithTags("Bootstrap");
        group.MapGet("", StatusAsync)
            .WithName("GetBootstrapStatus")
            .WithSummary("Whether this installation has its first operator (static key or operators).")
            .Produces<ErrorEnvelope>(StatusCodes.Status403Forbidden, "application/json");
        group.MapPost("", BootstrapAsync)
            .WithName("Bootstrap")
            .WithSummary("Create the first operator and the nno-operator organization, once (static key only).")
            .Produces<ErrorEnvelope>(StatusCodes.Status400BadRequest, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status403Forbidden, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status409Conflict, "application/json");
        return app;
    }

    private static async Task<Ok<BootstrapStatus>> StatusAsync(IamCallers callers, OperatorBootstrap bootstrap, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        if (!caller.IsOperator)
        {
            throw new ApiException(ErrorCodes.Forbidden, "Only the static key and operators can read the bootstrap state.");
        }

        return TypedResults.Ok(await bootstrap.StatusAsync(cancellationToken));
    }

    private static async Task<Created<BootstrapResponse>> BootstrapAsync(BootstrapRequest request, IamCallers callers, OperatorBootstrap bootstrap, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        if (caller.Kind != PrincipalKind.StaticKey)
        {
            throw new ApiException(ErrorCodes.Forbidden, "Bootstrap is done with the gateway's static key (AUTH_API_KEY) or by start-up seeding.");
        }

        var created = await bootstrap.RunAsync(request, caller.Audit(AuditEventTypes.BootstrapCompleted), cancellationToken);
        return TypedResults.Created("/api/nno/users/" + created.User.Id, created);
    }
}
