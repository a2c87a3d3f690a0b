using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Nno.Sandbox.Cloudflare.Common;

namespace Nno.Sandbox.Cloudflare.Pipeline;

/// <summary>
/// Runs every request under <c>/cloudflare/</c> (except the admin API) in the order of provisioning.md §5.1:
/// real rate limit → latency → <c>failNext</c> → random 429 → random error → handler (route 404 7000, bearer auth, the
/// endpoint) → <c>dropResponseRate</c>; errors become the envelope (or the surface's own format); the request is logged.
/// </summary>
internal sealed class CloudflarePipelineMiddleware(
    RequestDelegate next,
    CloudflareFaults faults,
    CloudflareRateLimiter limiter,
    CloudflareRequestLog log,
    TimeProvider time,
    IOptions<CloudflareOptions> options)
{
    public const string BasePath = "/cloudflare/client/v4";
    private static readonly CloudflareSurface RestSurface = new();
    private readonly HashSet<string> _tokens = options.Value.EffectiveTokens.ToHashSet(StringComparer.Ordinal);

    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (!path.StartsWith("/cloudflare/", StringComparison.Ordinal) || path.StartsWith("/cloudflare/_admin", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        var endpoint = context.GetEndpoint() as RouteEndpoint;
        var surface = endpoint?.Metadata.GetMetadata<CloudflareSurface>() ?? RestSurface;
        var token = BearerToken(context.Request);
        var status = 500;
        try
        {
            await RunAsync(context, path, endpoint, surface, token);
            status = context.Response.StatusCode;
        }
        finally
        {
            log.Add(time.GetUtcNow(), context.Request.Method, path, context.Request.QueryString.Value, status, token);
        }
    }

    private async Task RunAsync(HttpContext context, string path, RouteEndpoint? endpoint, CloudflareSurface surface, string? token)
    {
        var method = context.Request.Method;
        try
        {
            if (surface.RateLimited)
            {
                var limit = faults.RateLimit;
                var decision = limiter.Acquire(token ?? "", limit);
                context.Response.Headers["Ratelimit"] = $"\"default\";r={decision.Remaining};t={decision.ResetSeconds}";
                context.Response.Headers["Ratelimit-Policy"] = $"\"default\";q={limit.Limit};w={limit.WindowSeconds}";
                if (!decision.Allowed)
                {
                    throw RateLimited(limit, decision.ResetSeconds);
                }
            }

            var scoped = faults.InScope(path);
            var draw = scoped ? faults.Draw() : null;
            if (draw is { Latency: var latency } && latency > TimeSpan.Zero)
            {
                await Task.Delay(latency, time, context.RequestAborted);
            }

            if (faults.TakeFailNext(method, path) is { } scripted)
            {
                throw new CloudflareException(scripted.Status, scripted.Code, scripted.Message ?? "Injected failure (sandbox failNext)");
            }

            if (draw is { RateLimited: true })
            {
                throw RateLimited(faults.RateLimit, draw.RetryAfterSeconds);
            }

            if (draw is { ErrorStatus: { } errorStatus })
            {
                throw new CloudflareException(errorStatus, CloudflareErrorCodes.InjectedError, "Internal server error (injected by the sandbox)");
            }

            if (endpoint is null)
            {
                // No route, or a route without this method (the router's 405 endpoint is not a RouteEndpoint).
                throw CloudflareException.NotFound(CloudflareErrorCodes.NoRoute, "No route for that URI");
            }

            if (surface.BearerAuth && (token is null || !_tokens.Contains(token)))
            {
                throw new CloudflareException(403, CloudflareErrorCodes.AuthenticationError, "Authentication error");
            }

            if (draw is { Drop: true })
            {
                await RunThenDropAsync(context);
                return;
            }

            await next(context);
        }
        catch (CloudflareException error) when (!context.Response.HasStarted)
        {
            await (surface.ErrorWriter ?? CloudflareResults.WriteErrorAsync)(context, error);
        }
        catch (BadHttpRequestException error) when (!context.Response.HasStarted)
        {
            var tooLarge = error.StatusCode == StatusCodes.Status413PayloadTooLarge;
            var answer = new CloudflareException(error.StatusCode, tooLarge ? CloudflareErrorCodes.RequestTooLarge : CloudflareErrorCodes.MalformedRequest,
                tooLarge ? "Request body too large." : "Malformed request.");
            await (surface.ErrorWriter ?? CloudflareResults.WriteErrorAsync)(context, answer);
        }
    }

    /// <summary>Runs the handler with its answer held back, then aborts the connection: the change happened, the client never hears.</summary>
    private async Task RunThenDropAsync(HttpContext context)
    {
        var original = context.Response.Body;
        await using var held = new MemoryStream();
        context.Response.Body = held;
        try
        {
            await next(context);
        }
        catch (CloudflareException)
        {
            // The handler refused; the client still hears nothing.
        }
        finally
        {
            context.Response.Body = original;
        }

        context.Abort();
    }

    private static CloudflareException RateLimited(RateLimitKnob limit, int retryAfterSeconds) =>
        new(429, CloudflareErrorCodes.RateLimited,
            string.Create(CultureInfo.InvariantCulture,
                $"More than {limit.Limit} requests per {limit.WindowSeconds} seconds reached. Please wait and consider throttling your request speed"))
        {
            RetryAfterSeconds = retryAfterSeconds,
        };

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string prefix = "Bearer ";
        return header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && header.Length > prefix.Length
            ? header[prefix.Length..].Trim()
            : null;
    }
}
