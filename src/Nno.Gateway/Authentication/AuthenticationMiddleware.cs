using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Nno.Core.Credentials;
using Nno.Core.Environments;
using Nno.Core.Errors;
using Nno.Gateway.Pipeline;
using Nno.Gateway.ServiceTokens;
using Nno.ServiceDefaults.Hosting;

namespace Nno.Gateway.Authentication;

/// <summary>
/// Step 5 of gateway.md §4.1: authentication (§4.3). Public routes (§3.3) skip it and travel as <c>anonymous</c>; every
/// other routed request needs <c>Authorization: Bearer &lt;x&gt;</c>, tried as the static service key, then as an API
/// key (<c>nno_…</c>, checked locally before IAM is asked), then as a session token. Cookies are never credentials.
/// Failures answer 401 <c>UNAUTHORIZED</c> with <c>WWW-Authenticate: Bearer</c>; IAM unavailable without a cached
/// answer is 503 <c>SERVICE_UNAVAILABLE</c> (never fail open).
/// </summary>
internal sealed class AuthenticationMiddleware(
    RequestDelegate next,
    StaticKeyAuthenticator staticKeys,
    CredentialCache cache,
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

        if (PublicRoutes.IsPublic(context.Request))
        {
            // Public routes do not look at credentials at all (gateway.md §3.3).
            state.Identity = ResolvedPrincipal.Anonymous;
            return next(context);
        }

        var credential = ReadBearer(context.Request.Headers.Authorization);
        if (credential is null)
        {
            return UnauthorizedAsync(context);
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
                return UnauthorizedAsync(context);
            }

            kind = CredentialKind.ApiKey;
        }

        var pending = cache.ResolveAsync(kind, credential, context.RequestAborted);
        return pending.IsCompletedSuccessfully ? ContinueAsync(context, state, pending.Result) : AwaitAsync(context, state, pending);
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

    private async Task AwaitAsync(HttpContext context, GatewayRequest state, ValueTask<CredentialLookup> pending)
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

        await ContinueAsync(context, state, lookup);
    }

    private Task ContinueAsync(HttpContext context, GatewayRequest state, CredentialLookup lookup)
    {
        switch (lookup.Status)
        {
            case CredentialStatus.Valid:
                state.Identity = lookup.Principal;
                return next(context);
            case CredentialStatus.Invalid:
                return UnauthorizedAsync(context);
            default:
                return GatewayErrors.WriteAsync(context, ErrorCodes.ServiceUnavailable,
                    "The credential cannot be checked right now (IAM is unavailable); retry shortly.",
                    retryAfterSeconds: ServiceTokenMiddleware.RetryAfterSeconds);
        }
    }

    private static Task UnauthorizedAsync(HttpContext context) =>
        GatewayErrors.WriteAsync(context, new GatewayFailure(ErrorCodes.Unauthorized,
            "Authentication required: send a valid session token, API key or service key as Authorization: Bearer <credential>.")
        {
            Headers = ChallengeHeaders,
        });
}
