using System.ComponentModel.DataAnnotations;

namespace Nno.ServiceDefaults.Security;

/// <summary>Timings of service-token verification and of a service's own token (section <c>Nno:ServiceAuth</c>).</summary>
public sealed class ServiceAuthenticationOptions : IValidatableObject
{
    public const string Section = "Nno:ServiceAuth";

    /// <summary>Tolerated clock difference for <c>exp</c>/<c>nbf</c> (iam.md §4.1: 30 s).</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a fetched JWKS is used before it is fetched again (iam.md §4.8: 10 min).</summary>
    public TimeSpan JwksCacheDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A token with an unknown <c>kid</c> triggers a JWKS refetch at most this often (iam.md §4.8: 30 s).</summary>
    public TimeSpan UnknownKeyRefetchInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>After a failed JWKS fetch, the next attempt waits this long (the 503's <c>Retry-After</c> meanwhile).</summary>
    public TimeSpan JwksRetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Time limit of one JWKS request.</summary>
    public TimeSpan JwksFetchTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>This service's token is refreshed in the background when less than this much of its life remains (gateway.md §4.9: 60 s).</summary>
    public TimeSpan TokenRefreshBefore { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A cached token is no longer used this close to its expiry (gateway.md §4.9: 10 s).</summary>
    public TimeSpan TokenExpiryMargin { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First delay after a failed token request; doubles per failure (gateway.md §4.9: 1 s).</summary>
    public TimeSpan TokenRetryInitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between failed token requests (gateway.md §4.9: 30 s).</summary>
    public TimeSpan TokenRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time limit of one token request to IAM.</summary>
    public TimeSpan TokenRequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary><c>Retry-After</c> of the 503 a call gets when this service has no usable token.</summary>
    [Range(1, 3600)]
    public int TokenUnavailableRetryAfterSeconds { get; set; } = 5;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ClockSkew < TimeSpan.Zero)
        {
            yield return new ValidationResult("must not be negative", [nameof(ClockSkew)]);
        }

        foreach (var (name, value) in new[]
                 {
                     (nameof(JwksCacheDuration), JwksCacheDuration), (nameof(UnknownKeyRefetchInterval), UnknownKeyRefetchInterval),
                     (nameof(JwksRetryInterval), JwksRetryInterval), (nameof(JwksFetchTimeout), JwksFetchTimeout),
                     (nameof(TokenRetryInitialDelay), TokenRetryInitialDelay), (nameof(TokenRequestTimeout), TokenRequestTimeout),
                 })
        {
            if (value <= TimeSpan.Zero)
            {
                yield return new ValidationResult("must be positive", [name]);
            }
        }

        if (TokenRetryMaxDelay < TokenRetryInitialDelay)
        {
            yield return new ValidationResult("must be at least TokenRetryInitialDelay", [nameof(TokenRetryMaxDelay)]);
        }

        if (TokenExpiryMargin < TimeSpan.Zero || TokenRefreshBefore <= TokenExpiryMargin)
        {
            yield return new ValidationResult("TokenRefreshBefore must exceed TokenExpiryMargin, which must not be negative", [nameof(TokenRefreshBefore)]);
        }
    }
}
