using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Nno.Core.Errors;
using Nno.Core.Identity;
using Nno.Core.Services;
using Nno.ServiceDefaults.Errors;
using Nno.ServiceDefaults.Hosting;

namespace Nno.ServiceDefaults.Security;

/// <summary>
/// The one principal rule of 00-system §6, run after routing in every service: a valid service token is required
/// (except on <see cref="NoServiceTokenRequiredMetadata"/> endpoints); the gateway's token carries the user principal in
/// <c>X-Nno-*</c> headers, any other service's token is that service; then the route's caller allowlist applies.
/// </summary>
internal sealed class PrincipalMiddleware(RequestDelegate next, ServiceTokenValidator validator, NnoServiceIdentity identity, ILogger<PrincipalMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<NoServiceTokenRequiredMetadata>() is not null)
        {
            await next(context);
            return;
        }

        var token = context.Request.GetBearerToken();
        if (token is null)
        {
            await ErrorResponses.WriteAsync(context, ErrorCodes.Unauthorized, "A service token is required.");
            return;
        }

        var validation = await validator.ValidateAsync(token, context.RequestAborted);
        if (validation.Status == ServiceTokenValidationStatus.KeysUnavailable)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(validation.RetryAfter.TotalSeconds));
            await ErrorResponses.WriteAsync(context, ErrorCodes.ServiceUnavailable, "Service tokens cannot be verified yet: IAM's signing keys are not available.",
                headers: [new("Retry-After", seconds.ToString(CultureInfo.InvariantCulture))]);
            return;
        }

        if (validation.Status == ServiceTokenValidationStatus.Invalid)
        {
            logger.LogInformation("Rejected a service token on {Method} {Path}: {Reason}", context.Request.Method, context.Request.Path.Value, validation.Failure);
            await ErrorResponses.WriteAsync(context, ErrorCodes.Unauthorized, "The service token is invalid.");
            return;
        }

        NnoPrincipal principal;
        if (validation.Service == NnoServices.Gateway)
        {
            if (!GatewayIdentityParser.TryParse(context.Request.Headers, out principal, out var problem))
            {
                logger.LogWarning("Rejected a gateway request with malformed identity headers on {Method} {Path}: {Problem}", context.Request.Method, context.Request.Path.Value, problem);
                await ErrorResponses.WriteAsync(context, ErrorCodes.Unauthorized, "The identity headers are malformed: " + problem + ".");
                return;
            }
        }
        else
        {
            // Another service's token is that service, whatever identity headers it sends (iam.md §6 service impersonation).
            var acting = GatewayIdentityParser.Single(context.Request.Headers[NnoIdentityHeaders.ActingUserId]);
            principal = new NnoPrincipal
            {
                Kind = PrincipalKind.Service,
                CallerService = validation.Service!,
                UserId = ServiceTokenProtocol.SubjectPrefix + validation.Service,
                Role = NnoIdentityHeaders.Roles.Service,
                ActingUserId = acting is { Length: <= 128 } ? acting : null,
            };
        }

        context.SetNnoPrincipal(principal);
        if (endpoint is not null)
        {
            switch (EndpointAccessRule.Evaluate(principal, endpoint.Metadata.GetMetadata<ServiceCallersMetadata>()))
            {
                case EndpointAccessDecision.Forbidden:
                    await ErrorResponses.WriteAsync(context, ErrorCodes.Forbidden, $"The {principal.CallerService} service may not call this route.");
                    return;
                case EndpointAccessDecision.Hidden:
                    // Exactly what routing answers for a path that does not exist: internal routes are not revealed to users.
                    await ErrorResponses.WriteAsync(context, ErrorCodes.NotFound, $"No route matches {context.Request.Method} {context.Request.Path.Value} on the {identity.Name} service.");
                    return;
            }
        }

        await next(context);
    }
}

/// <summary>What the allowlist says about one principal on one route.</summary>
internal enum EndpointAccessDecision
{
    Allowed,

    /// <summary>403: a service (or the gateway's own call) not listed on the route.</summary>
    Forbidden,

    /// <summary>404: a user on a service-only route, answered like an unknown route.</summary>
    Hidden,
}

/// <summary>The per-route allowlist rule (00-system §6, iam.md §3 conventions).</summary>
internal static class EndpointAccessRule
{
    public static EndpointAccessDecision Evaluate(NnoPrincipal principal, ServiceCallersMetadata? callers) => principal.Kind switch
    {
        PrincipalKind.Service => callers is not null && callers.Services.Contains(principal.CallerService) ? EndpointAccessDecision.Allowed : EndpointAccessDecision.Forbidden,
        PrincipalKind.GatewaySelf => callers is not null && callers.Services.Contains(NnoServices.Gateway) ? EndpointAccessDecision.Allowed : EndpointAccessDecision.Forbidden,
        // Users, anonymous callers and the static key: never on internal routes; elsewhere the endpoint decides.
        _ => callers is { ServiceOnly: true } ? EndpointAccessDecision.Hidden : EndpointAccessDecision.Allowed,
    };
}
