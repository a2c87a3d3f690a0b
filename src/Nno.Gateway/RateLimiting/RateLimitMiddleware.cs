using Microsoft.AspNetCore.Http;
using Nno.Gateway.Forwarding;
using Nno.Gateway.Pipeline;
using H = Nno.Core.Identity.NnoIdentityHeaders;

namespace Nno.Gateway.RateLimiting;

/// <summary>
/// Step 6 of gateway.md §4.1, after the platform status check: the request takes one token from each of its buckets
/// (§4.7), all or nothing, or gets 429 <c>RATE_LIMITED</c> with <c>Retry-After</c>. Buckets: <c>ip</c> (everything but
/// <c>/health*</c>, webhooks and service principals), the public route's own buckets (<c>anon</c>, <c>signin</c>, …),
/// <c>devverify</c> on the device approval routes, <c>user</c> or <c>key</c> by the platform's tier (operators have their
/// own limit), and <c>platform</c> for user-role traffic aimed at one platform. The static key is not limited.
/// </summary>
internal sealed class RateLimitMiddleware(RequestDelegate next, IRateLimitStore store, RateLimitPolicies policies, GatewayMetrics metrics)
{
    private const string DevicePath = "/api/v1/iam/oauth/device";
    private const string DeviceApprovePath = "/api/v1/iam/oauth/device/approve";
    private const string DeviceDenyPath = "/api/v1/iam/oauth/device/deny";

    public Task InvokeAsync(HttpContext context)
    {
        if (!policies.Enabled)
        {
            return next(context);
        }

        var state = context.GetGatewayRequest()!;
        var buckets = default(BucketSet);
        Collect(context, state, ref buckets);
        if (buckets.Count == 0)
        {
            return next(context);
        }

        var pending = store.AcquireAsync(buckets, context.RequestAborted);
        return pending.IsCompletedSuccessfully ? Continue(context, state, pending.Result) : AwaitAsync(context, state, pending);
    }

    private async Task AwaitAsync(HttpContext context, GatewayRequest state, ValueTask<RateLimitResult> pending) =>
        await Continue(context, state, await pending);

    private Task Continue(HttpContext context, GatewayRequest state, RateLimitResult result)
    {
        if (!result.Allowed)
        {
            return RateLimitResponses.WriteRejectionAsync(context, state, result, metrics);
        }

        state.RateLimit = result;
        return next(context);
    }

    /// <summary>The buckets of this request (gateway.md §4.7 table); none for health checks and service principals.</summary>
    private void Collect(HttpContext context, GatewayRequest state, ref BucketSet buckets)
    {
        if (state.Route is null)
        {
            // The gateway's own endpoints: health checks are free, the OpenAPI document counts against the IP.
            if (state.IsOwnEndpoint && !(context.Request.Path.Value ?? "").StartsWith("/health", StringComparison.Ordinal))
            {
                buckets.Add(policies.Ip, RateLimitResponses.ClientKey(context, state));
            }

            return;
        }

        if (state.PublicRoute is { } publicRoute)
        {
            if (publicRoute.Webhook)
            {
                buckets.Add(policies.Get(publicRoute.Bucket), publicRoute.Name);
                return;
            }

            var client = RateLimitResponses.ClientKey(context, state);
            buckets.Add(policies.Ip, client);
            if (publicRoute.Anonymous)
            {
                buckets.Add(policies.Anon, client);
            }

            buckets.Add(policies.Get(publicRoute.Bucket), client);
            return;
        }

        var principal = state.Identity;
        if (principal is null || principal.Kind is not (H.AuthKinds.Session or H.AuthKinds.ApiKey) || principal.UserId is not { } userId)
        {
            // The static key (service) is not limited; nothing else reaches here unauthenticated.
            return;
        }

        buckets.Add(policies.Ip, RateLimitResponses.ClientKey(context, state));
        if (IsDeviceVerification(context.Request))
        {
            buckets.Add(policies.DeviceVerify, userId);
        }

        var operatorRole = principal.Identity.Role == H.Roles.PlatformAdmin;
        var tier = state.TargetTier;
        if (principal.Kind == H.AuthKinds.Session)
        {
            buckets.Add(operatorRole ? policies.UserOperator : tier is null ? policies.UserNone : policies.UserFor(tier), userId);
        }
        else
        {
            buckets.Add(operatorRole ? policies.KeyOperator : policies.KeyFor(tier), principal.KeyId ?? userId);
        }

        if (!operatorRole && state.TargetPlatformId is { } target)
        {
            buckets.Add(policies.PlatformFor(tier), target);
        }
    }

    private static bool IsDeviceVerification(HttpRequest request)
    {
        var path = request.Path.Value;
        return HttpMethods.IsGet(request.Method)
            ? string.Equals(path, DevicePath, StringComparison.Ordinal)
            : HttpMethods.IsPost(request.Method)
              && (string.Equals(path, DeviceApprovePath, StringComparison.Ordinal) || string.Equals(path, DeviceDenyPath, StringComparison.Ordinal));
    }
}
