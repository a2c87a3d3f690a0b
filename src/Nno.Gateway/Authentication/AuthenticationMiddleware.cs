using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Nno.Core.Credentials;
using Nno.Core.Environments;
using Nno.Core.Errors;
using Nno.Gateway.Forwarding;
using Nno.Gateway.Pipeline;
using Nno.Gateway.RateLimiting;
using Nno.Gateway.ServiceTokens;
using Nno.ServiceDefaults.Hosting;

namespace Nno.Gateway.Authentication;

/// <summary>
/// Step 5 of gateway.md §4.1: authentication (§4.3). Public routes (§3.3) skip it and travel as <c>anonymous</c>; every
/// other routed request needs <c>Authorization: Bearer &lt;x&gt;</c>, tried as the static service key, then as an API
/// key (<c>nno_…</c>, checked locally before IAM is asked), then as a session token. Cookies are never credentials.
/// Failures answer 401 <c>UNAUTHORIZED</c> with <c>WWW-Authenticate: Bearer</c>; IAM unavailable without a cached
/// answer is 503 <c>SERVICE_UNAVAILABLE</c> (never fail open).
/// Before any of that, a request that carries <c>Authorization</c> is checked against its IP's <c>authfail</c> bucket
/// (§4.7): every presented credential rejected here spends one token, and while none is left the IP's credentialed
/// requests get 429 before the static key is compared or IAM is asked.
/// </summary>
internal sealed class AuthenticationMiddleware(
    RequestDelegate next,
    StaticKeyAuthenticator staticKeys,
    CredentialCache cache,
    IRateLimitStore rateLimits,
    RateLimitPolicies policies,
    GatewayMetrics metrics,
    IOptions<NnoOptions> nno)
{
    /// <summary>Longest <c>Authorization</c> header value accepted (gateway.md §6).</summary>
    public const int MaxAuthorizationLength = 4096;

    private const string BearerScheme = "Bearer";
    private static readonly IReadOnlyList<KeyValuePair<string, string>> ChallengeHeaders = [new("WWW-Authenticate", BearerScheme)];

    private readonly NnoEnvironment _environment = EnvironmentNames.Parse(nno.Value.Environment);

    public Task InvokeAsync(HttpContext context)
    {
        var state = context.GetGatewayRequest()!;
        if (state.Route is null)
        {
            return next(context);
        }

        if (PublicRoutes.Find(context.Request) is { } publicRoute)
        {
            // Public routes do not look at credentials at all (gateway.md §3.3).
            state.PublicRoute = publicRoute;
            state.Identity = ResolvedPrincipal.Anonymous;
            return next(context);
        }

        var authorization = context.Request.Headers.Authorization;
        if (authorization.Count == 0)
        {
            // Nothing presented, nothing guessed: a plain 401 that spends no authfail token.
            return UnauthorizedAsync(context);
        }

        if (!policies.Enabled)
        {
            return AuthenticateAsync(context, state, authorization, null, default);
        }

        var failures = new BucketUse(policies.AuthFail, RateLimitResponses.ClientKey(context, state));
        var check = rateLimits.PeekAsync(failures, context.RequestAborted);
        return check.IsCompletedSuccessfully
            ? AuthenticateAsync(context, state, authorization, failures, check.Result)
            : AwaitCheckAsync(context, state, authorization, failures, check);
    }

    private async Task AwaitCheckAsync(HttpContext context, GatewayRequest state, StringValues authorization, BucketUse failures, ValueTask<RateLimitResult> check) =>
        await AuthenticateAsync(context, state, authorization, failures, await check);

    private Task AuthenticateAsync(HttpContext context, GatewayRequest state, StringValues authorization, BucketUse? failures, RateLimitResult check)
    {
        if (failures is not null && !check.Allowed)
        {
            return RateLimitResponses.WriteRejectionAsync(context, state, check, metrics);
        }

        var credential = ReadBearer(authorization);
        if (credential is null)
        {
            return RejectAsync(context, failures);
        }

        if (staticKeys.Match(credential) is { } staticKey)
        {
            state.Identity = staticKey;
            return next(context);
        }

        var kind = CredentialKind.Session;
        if (credential.StartsWith(ApiKeyFormat.Prefix, StringComparison.Ordinal))
        {
            // Format, checksum and environment locally: a typo or a foreign key never costs an IAM call.
            if (ApiKeyFormat.Validate(credential, _environment) != ApiKeyCheck.Ok)
            {
                return RejectAsync(context, failures);
            }

            kind = CredentialKind.ApiKey;
        }

        var pending = cache.ResolveAsync(kind, credential, context.RequestAborted);
        return pending.IsCompletedSuccessfully ? ContinueAsync(context, state, failures, pending.Result) : AwaitAsync(context, state, failures, pending);
    }

    /// <summary>
    /// The bearer credential, or null when there is none or it is unusable: no or several <c>Authorization</c> values,
    /// another scheme, longer than 4 KiB, empty, or holding anything outside visible ASCII.
    /// </summary>
    public static string? ReadBearer(StringValues authorization)
    {
        if (authorization.Count != 1 || authorization[0] is not { } value || value.Length > MaxAuthorizationLength
            || value.Length <= BearerScheme.Length + 1
            || !value.AsSpan(0, BearerScheme.Length).Equals(BearerScheme, StringComparison.OrdinalIgnoreCase)
            || value[BearerScheme.Length] != ' ')
        {
            return null;
        }

        var token = value.AsSpan(BearerScheme.Length + 1).TrimStart(' ');
        return token.Length == 0 || token.ContainsAnyExceptInRange('!', '~') ? null : token.ToString();
    }

    private async Task AwaitAsync(HttpContext context, GatewayRequest state, BucketUse? failures, ValueTask<CredentialLookup> pending)
    {
        CredentialLookup lookup;
        try
        {
            lookup = await pending;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away while waiting for IAM; nobody reads an answer.
            return;
        }

        await ContinueAsync(context, state, failures, lookup);
    }

    private Task ContinueAsync(HttpContext context, GatewayRequest state, BucketUse? failures, CredentialLookup lookup)
    {
        switch (lookup.Status)
        {
            case CredentialStatus.Valid:
                state.Identity = lookup.Principal;
                return next(context);
            case CredentialStatus.Invalid:
                return RejectAsync(context, failures);
            default:
                return GatewayErrors.WriteAsync(context, ErrorCodes.ServiceUnavailable,
                    "The credential cannot be checked right now (IAM is unavailable); retry shortly.",
                    retryAfterSeconds: ServiceTokenMiddleware.RetryAfterSeconds);
        }
    }

    /// <summary>401 for a presented credential that failed, spending one of the IP's <c>authfail</c> tokens.</summary>
    private Task RejectAsync(HttpContext context, BucketUse? failures)
    {
        if (failures is not { } use)
        {
            return UnauthorizedAsync(context);
        }

        var spend = rateLimits.SpendAsync(use, CancellationToken.None);
        return spend.IsCompletedSuccessfully ? UnauthorizedAsync(context) : SpendThenRejectAsync(context, spend);
    }

    private static async Task SpendThenRejectAsync(HttpContext context, ValueTask spend)
    {
        await spend;
        await UnauthorizedAsync(context);
    }

    private static Task UnauthorizedAsync(HttpContext context) =>
        GatewayErrors.WriteAsync(context, new GatewayFailure(ErrorCodes.Unauthorized,
            "Authentication required: send a valid session token, API key or service key as Authorization: Bearer <credential>.")
        {
            Headers = ChallengeHeaders,
        });
}
