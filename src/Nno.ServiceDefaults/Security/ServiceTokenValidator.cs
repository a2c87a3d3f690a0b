using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Nno.ServiceDefaults.Security;

/// <summary>Outcome of validating a service token.</summary>
public enum ServiceTokenValidationStatus
{
    Valid,

    /// <summary>The token is proven invalid (401).</summary>
    Invalid,

    /// <summary>The token could not be checked because no verification keys are available (503 with <c>Retry-After</c>).</summary>
    KeysUnavailable,
}

/// <summary>The result of <see cref="ServiceTokenValidator.ValidateAsync"/>.</summary>
/// <param name="Status">Whether the token is valid.</param>
/// <param name="Service">The calling service (<c>svc</c> claim) when valid.</param>
/// <param name="Failure">Why the token was rejected (never contains the token).</param>
/// <param name="RetryAfter">For <see cref="ServiceTokenValidationStatus.KeysUnavailable"/>: when to try again.</param>
public sealed record ServiceTokenValidationResult(ServiceTokenValidationStatus Status, string? Service, string? Failure, TimeSpan RetryAfter)
{
    public static ServiceTokenValidationResult Valid(string service) => new(ServiceTokenValidationStatus.Valid, service, null, TimeSpan.Zero);

    public static ServiceTokenValidationResult Invalid(string failure) => new(ServiceTokenValidationStatus.Invalid, null, failure, TimeSpan.Zero);

    public static ServiceTokenValidationResult Unavailable(TimeSpan retryAfter) =>
        new(ServiceTokenValidationStatus.KeysUnavailable, null, "verification keys are not available", retryAfter);
}

/// <summary>
/// Validates service tokens (iam.md §4.1): ES256 only, <c>iss</c> <c>nno-iam</c>, <c>aud</c> <c>nno-services</c>,
/// <c>exp</c>/<c>nbf</c> with the configured skew against <see cref="TimeProvider"/>, a known <c>kid</c>, and a subject
/// <c>svc:&lt;service&gt;</c> naming an NNO service that matches the <c>svc</c> claim.
/// </summary>
public sealed class ServiceTokenValidator(IServiceTokenKeySource keys, TimeProvider time, IOptions<ServiceAuthenticationOptions> options)
{
    /// <summary>Longer inputs are not tokens NNO issues; refusing them early bounds the parsing work.</summary>
    private const int MaxTokenLength = 4096;

    /// <summary>Verified tokens kept so a token's signature is checked once, not on every request it is reused for.</summary>
    private const int MaxVerifiedTokens = 1024;

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    // Keyed by the token itself: a service token is a short-lived credential of a few services, not user data, and the
    // entry lives at most as long as the token. Lifetime and key are re-checked on every hit, so purging a key or the
    // clock passing exp still rejects the token at once.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, VerifiedToken> _verified = new(StringComparer.Ordinal);

    private sealed record VerifiedToken(string Service, string Kid, SecurityKey Key, DateTime NotBefore, DateTime Expires);

    public async ValueTask<ServiceTokenValidationResult> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            return ServiceTokenValidationResult.Invalid("the token is empty or too long");
        }

        if (_verified.TryGetValue(token, out var known))
        {
            var hit = await CheckKnownAsync(known, cancellationToken);
            if (hit is not null)
            {
                return hit;
            }

            _verified.TryRemove(token, out _);
        }

        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return ServiceTokenValidationResult.Invalid("the token is not a JWT");
        }

        // Checked before any key lookup: alg:none, HS256 and the like are invalid whatever keys exist.
        if (jwt.IsEncrypted || jwt.Alg != ServiceTokenProtocol.Algorithm)
        {
            return ServiceTokenValidationResult.Invalid("the token is not signed with ES256");
        }

        if (string.IsNullOrEmpty(jwt.Kid))
        {
            return ServiceTokenValidationResult.Invalid("the token names no key");
        }

        var lookup = await keys.FindAsync(jwt.Kid, cancellationToken);
        switch (lookup.Status)
        {
            case ServiceTokenKeyStatus.Unavailable:
                return ServiceTokenValidationResult.Unavailable(lookup.RetryAfter);
            case ServiceTokenKeyStatus.Unknown:
                return ServiceTokenValidationResult.Invalid("the token's key is not known");
        }

        var result = await _handler.ValidateTokenAsync(jwt, Parameters(lookup.Key!));
        if (!result.IsValid)
        {
            return ServiceTokenValidationResult.Invalid("the token failed validation (" + (result.Exception?.GetType().Name ?? "unknown") + ")");
        }

        var service = jwt.TryGetPayloadValue<string>(ServiceTokenProtocol.ServiceClaim, out var svc) ? svc : null;
        if (!ServiceTokenProtocol.IsTokenService(service) || jwt.Subject != ServiceTokenProtocol.SubjectPrefix + service)
        {
            return ServiceTokenValidationResult.Invalid("the token does not name an NNO service");
        }

        if (_verified.Count >= MaxVerifiedTokens)
        {
            _verified.Clear();
        }

        _verified[token] = new VerifiedToken(service!, jwt.Kid, lookup.Key!, jwt.ValidFrom, jwt.ValidTo);
        return ServiceTokenValidationResult.Valid(service!);
    }

    /// <summary>A previously verified token: still valid when its key is still the published one and its lifetime holds.</summary>
    private async ValueTask<ServiceTokenValidationResult?> CheckKnownAsync(VerifiedToken known, CancellationToken cancellationToken)
    {
        var lookup = await keys.FindAsync(known.Kid, cancellationToken);
        if (lookup.Status != ServiceTokenKeyStatus.Found || !ReferenceEquals(lookup.Key, known.Key))
        {
            return null;
        }

        var skew = options.Value.ClockSkew;
        var now = time.GetUtcNow().UtcDateTime;
        return known.Expires > now - skew && (known.NotBefore == DateTime.MinValue || known.NotBefore <= now + skew)
            ? ServiceTokenValidationResult.Valid(known.Service)
            : null;
    }

    private TokenValidationParameters Parameters(SecurityKey key)
    {
        var skew = options.Value.ClockSkew;
        return new TokenValidationParameters
        {
            ValidIssuer = ServiceTokenProtocol.Issuer,
            ValidateIssuer = true,
            ValidAudience = ServiceTokenProtocol.Audience,
            ValidateAudience = true,
            ValidAlgorithms = [ServiceTokenProtocol.Algorithm],
            IssuerSigningKey = key,
            TryAllIssuerSigningKeys = false,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = skew,
            // The library's own check reads the system clock; NNO's time comes from TimeProvider (tests use a fake one).
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = time.GetUtcNow().UtcDateTime;
                return expires is { } exp && exp.ToUniversalTime() > now - skew && (notBefore is not { } nbf || nbf.ToUniversalTime() <= now + skew);
            },
            ValidateTokenReplay = false,
            SaveSigninToken = false,
        };
    }
}
