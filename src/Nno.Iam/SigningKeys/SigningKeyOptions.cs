using System.ComponentModel.DataAnnotations;

namespace Nno.Iam.SigningKeys;

/// <summary>Signing-key rotation (section <c>Iam:SigningKeys</c>, iam.md §4.8).</summary>
internal sealed class SigningKeyOptions : IValidatableObject
{
    public const string Section = "Iam:SigningKeys";

    /// <summary>How long a key signs before its successor takes over.</summary>
    public TimeSpan RotationInterval { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long before it starts signing a new key is published in the JWKS.</summary>
    public TimeSpan PublishLead { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long after it stops signing a key stays in the JWKS (then it is purged).</summary>
    public TimeSpan RetainAfterRetirement { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often the background check rotates and purges keys (they are also checked whenever used).</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary><c>Cache-Control: max-age</c> of the JWKS response (iam.md §3.5: 300 s).</summary>
    public TimeSpan JwksMaxAge { get; set; } = TimeSpan.FromSeconds(300);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RotationInterval <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be positive", [nameof(RotationInterval)]);
        }

        if (PublishLead < TimeSpan.Zero || PublishLead >= RotationInterval)
        {
            yield return new ValidationResult("must be at least zero and shorter than RotationInterval", [nameof(PublishLead)]);
        }

        if (RetainAfterRetirement <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be positive (tokens signed just before retirement must still verify)", [nameof(RetainAfterRetirement)]);
        }

        if (CheckInterval <= TimeSpan.Zero)
        {
            yield return new ValidationResult("must be positive", [nameof(CheckInterval)]);
        }

        if (JwksMaxAge < TimeSpan.Zero)
        {
            yield return new ValidationResult("must not be negative", [nameof(JwksMaxAge)]);
        }
    }
}
