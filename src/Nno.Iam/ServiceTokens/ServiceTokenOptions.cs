using System.ComponentModel.DataAnnotations;

namespace Nno.Iam.ServiceTokens;

/// <summary>Service-token issuance (section <c>Iam:ServiceTokens</c>, iam.md §4.8).</summary>
internal sealed class ServiceTokenOptions : IValidatableObject
{
    public const string Section = "Iam:ServiceTokens";

    /// <summary>Token lifetime (<c>exp</c> = <c>iat</c> + this; 300 s).</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>Failed token requests tolerated per IP within <see cref="FailureWindow"/>; beyond that, 429.</summary>
    [Range(1, 100_000)]
    public int FailureLimit { get; set; } = 10;

    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(1);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Lifetime < TimeSpan.FromSeconds(1) || Lifetime.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            yield return new ValidationResult("must be a whole number of seconds, at least 1", [nameof(Lifetime)]);
        }

        if (FailureWindow <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be positive", [nameof(FailureWindow)]);
        }
    }
}

/// <summary>The client secrets services present (section <c>Iam:ServiceClients:&lt;service&gt;</c>, iam.md §4.8).</summary>
internal sealed class ServiceClientOptions
{
    public const string Section = "Iam";

    /// <summary>Minimum secret length; shorter secrets are ignored (that service cannot obtain tokens).</summary>
    public const int MinimumSecretLength = 32;

    public Dictionary<string, string> ServiceClients { get; } = new(StringComparer.OrdinalIgnoreCase);
}
