using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Nno.Core.Errors;
using Nno.Iam.Audit;
using Nno.ServiceDefaults.RequestContext;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam.ServiceTokens;

/// <summary><c>POST /api/nno/service-token</c> (iam.md §3.5): a service trades its client secret for a 5-minute ES256 token.</summary>
internal static class ServiceTokensApi
{
    public static IEndpointRouteBuilder MapServiceTokens(this IEndpointRouteBuilder app)
    {
        app.MapPost(ServiceTokenProtocol.IssuePath, IssueAsync)
            .WithName("IssueServiceToken")
            .WithSummary("Issue a service token to a service that presents its client secret as the bearer credential.")
            .WithTags("Service tokens")
            .Produces<ErrorEnvelope>(StatusCodes.Status400BadRequest, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status401Unauthorized, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status429TooManyRequests, "application/json")
            .AllowWithoutServiceToken();
        return app;
    }

    private static async Task<Ok<ServiceTokenResponse>> IssueAsync(
        ServiceTokenRequest request,
        HttpContext context,
        ServiceClientCredentials credentials,
        ServiceTokenFailureLimiter limiter,
        ServiceTokenIssuer issuer,
        AuditLog audit,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        if (!ServiceTokenProtocol.ClientServices.Contains(request.Service, StringComparer.Ordinal))
        {
            throw ApiException.Validation("service", "must be one of " + string.Join(", ", ServiceTokenProtocol.ClientServices));
        }

        var ip = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (limiter.IsBlocked(ip, out var retryAfter))
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            var limited = new ApiException(ErrorCodes.RateLimited, "Too many failed service-token requests from this address.", new { retryAfterSeconds = seconds });
            limited.Headers["Retry-After"] = seconds.ToString(CultureInfo.InvariantCulture);
            throw limited;
        }

        if (!credentials.Verify(request.Service, context.Request.GetBearerToken()))
        {
            limiter.RecordFailure(ip);
            await audit.WriteAsync(new AuditEntry
            {
                Type = AuditEventTypes.ServiceTokenDenied,
                Outcome = "failure",
                ActorKind = "anonymous",
                Ip = ip,
                UserAgent = context.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua : null,
                RequestId = context.GetRequestIds().RequestId,
                Metadata = new Dictionary<string, object?> { ["service"] = request.Service },
            }, CancellationToken.None);
            loggers.CreateLogger(typeof(ServiceTokensApi)).LogWarning("Denied a service token for {Service} to {Ip}: wrong or missing client secret", request.Service, ip);
            throw new ApiException(ErrorCodes.Unauthorized, "The client secret is not valid for this service.");
        }

        var issued = await issuer.IssueAsync(request.Service, cancellationToken);
        return TypedResults.Ok(new ServiceTokenResponse(issued.Token, "Bearer", (int)issued.Lifetime.TotalSeconds, issued.ExpiresAt));
    }
}
