using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Nno.Core.Errors;
using Nno.Core.Platforms;
using Nno.Gateway.Authentication;
using Nno.Gateway.Pipeline;
using H = Nno.Core.Identity.NnoIdentityHeaders;

namespace Nno.Gateway.PlatformStatus;

/// <summary>
/// Step 6 of gateway.md §4.1 before rate limiting: the target platform and the platform status check (§4.6, 00-system
/// §11). Every authenticated request gets its target (<see cref="GatewayRequest.TargetPlatformId"/>, for the access
/// log and the <c>platform</c> rate bucket). Session and API-key callers that are not operators, on a request with a
/// target, get the target's status looked up (<see cref="PlatformStatusCache"/>; its tier goes to
/// <see cref="GatewayRequest.TargetTier"/>) and applied: <c>suspended</c> allows only reads, <c>cancelled</c> and
/// <c>deleted</c> only reading the platform record, 403 <c>PLATFORM_SUSPENDED</c> / <c>PLATFORM_INACTIVE</c>
/// otherwise; <c>POST …/cancel</c> always passes and <c>POST …/delete</c> passes unless the platform is already
/// deleted (decision 0300). An unknown status or an unreadable KV fails open with a throttled warning.
/// </summary>
internal sealed partial class PlatformStatusMiddleware(
    RequestDelegate next,
    PlatformStatusCache cache,
    PlatformStatusWarnings warnings,
    PlatformStatusMetrics metrics,
    Microsoft.Extensions.Options.IOptions<PlatformStatusOptions> options,
    ILogger<PlatformStatusMiddleware> logger)
{
    private readonly bool _enabled = options.Value.Enabled;

    public Task InvokeAsync(HttpContext context)
    {
        var state = context.GetGatewayRequest()!;
        if (state.Route is null || state.Identity is not { } principal || principal.Kind == H.AuthKinds.Anonymous)
        {
            return next(context);
        }

        var path = context.Request.Path.Value ?? "/";
        var target = PlatformTarget.Find(path);
        state.TargetPlatformId = target;
        if (target is null || !_enabled || !IsChecked(principal))
        {
            return next(context);
        }

        var pending = cache.GetAsync(target, context.RequestAborted);
        return pending.IsCompletedSuccessfully
            ? CheckAsync(context, state, target, path, pending.Result)
            : AwaitAsync(context, state, target, path, pending);
    }

    /// <summary>
    /// Session and API-key principals except operators (§4.6 "role is user"; any role other than
    /// <c>platform-admin</c> is checked, so an unexpected role never skips the check). The static key is <c>service</c>.
    /// </summary>
    private static bool IsChecked(ResolvedPrincipal principal) =>
        principal.Kind is H.AuthKinds.Session or H.AuthKinds.ApiKey
        && !string.Equals(principal.Identity.Role, H.Roles.PlatformAdmin, StringComparison.Ordinal);

    private async Task AwaitAsync(HttpContext context, GatewayRequest state, string target, string path, ValueTask<PlatformStatusLookup> pending)
    {
        PlatformStatusLookup lookup;
        try
        {
            lookup = await pending;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away while the KV was read; nobody reads an answer.
            return;
        }

        await CheckAsync(context, state, target, path, lookup);
    }

    private Task CheckAsync(HttpContext context, GatewayRequest state, string target, string path, PlatformStatusLookup lookup)
    {
        state.TargetTier = lookup.Tier;
        var method = context.Request.Method;
        var reading = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        switch (lookup.Status)
        {
            case PlatformStatuses.Suspended:
                // cancel ends a suspended platform at once (00-system §11); delete is exempt by §4.6 (the Registry
                // refuses it for a suspended platform with INVALID_TRANSITION, which says more than a 403).
                if (reading || (HttpMethods.IsPost(method) && PlatformTarget.Classify(path) is TargetPath.Cancel or TargetPath.Delete))
                {
                    return next(context);
                }

                return BlockAsync(context, ErrorCodes.PlatformSuspended, target, lookup.Status,
                    $"Platform {target} is suspended: only reads are allowed until it is restored. Billing and account routes stay available.");

            case PlatformStatuses.Cancelled:
            case PlatformStatuses.Deleted:
                var addressed = PlatformTarget.Classify(path);
                if ((reading && addressed == TargetPath.Record)
                    || (HttpMethods.IsPost(method) && (addressed == TargetPath.Cancel
                        || (addressed == TargetPath.Delete && lookup.Status == PlatformStatuses.Cancelled))))
                {
                    return next(context);
                }

                return BlockAsync(context, ErrorCodes.PlatformInactive, target, lookup.Status,
                    $"Platform {target} is {lookup.Status}: only its record can be read.");

            case PlatformStatuses.Pending:
            case PlatformStatuses.Provisioning:
            case PlatformStatuses.Active:
            case PlatformStatuses.PendingCancellation:
                return next(context);

            default:
                // Missing key, unreadable value, unknown status, or the KV unavailable without a recent value: fail open
                // (gateway.md §4.6: suspension is a commercial control; the services authorise every access anyway).
                metrics.StatusUnknown();
                if (warnings.TryClaim(target))
                {
                    LogStatusUnknown(logger, target, lookup.Source == PlatformStatusSource.Unavailable
                        ? "the KV is unavailable and no recent value is cached"
                        : "missing key, unreadable value or unknown status");
                }

                return next(context);
        }
    }

    private Task BlockAsync(HttpContext context, string code, string target, string status, string message)
    {
        metrics.Blocked(code);
        return GatewayErrors.WriteAsync(context, code, message, new { platformId = target, status });
    }

    [LoggerMessage(1841, LogLevel.Warning, "Platform {PlatformId} has no known status in the PLATFORM_STATUS KV ({Reason}); its requests pass unchecked (fail open).")]
    private static partial void LogStatusUnknown(ILogger logger, string platformId, string reason);
}
