using System.ComponentModel.DataAnnotations;

namespace Nno.Iam.Passwords;

/// <summary>Password hashing settings (<c>Iam:Passwords</c>, iam.md §4.4).</summary>
internal sealed class PasswordOptions
{
    public const string Section = "Iam:Passwords";

    /// <summary>The production PBKDF2 iteration count; test hosts configure about 1,000.</summary>
    public const int DefaultIterations = 100_000;

    /// <summary>PBKDF2 iterations for new hashes; stored hashes with fewer verify as "rehash needed".</summary>
    [Range(1, 10_000_000)]
    public int Iterations { get; set; } = DefaultIterations;

    /// <summary>How long a hash or verify waits for a free slot before answering 503.</summary>
    [Range(0.0, 300.0)]
    public double MaxWaitSeconds { get; set; } = 5;

    /// <summary>Hashes run at once; null = max(2, CPU count).</summary>
    [Range(1, 1024)]
    public int? MaxConcurrency { get; set; }

    /// <summary>The effective concurrency limit.</summary>
    public int EffectiveConcurrency => MaxConcurrency ?? Math.Max(2, Environment.ProcessorCount);
}
