using System.ComponentModel.DataAnnotations;

namespace Nno.Iam.Jobs;

/// <summary>Periods and retention of IAM's background jobs (section <c>Iam:Jobs</c>, iam.md §4.14).</summary>
internal sealed class IamJobOptions
{
    public const string Section = "Iam:Jobs";

    /// <summary>Rows deleted or updated per statement, so no cleanup holds the database for long.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 1000;

    public TimeSpan SessionCleanupInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Sessions expired or revoked longer ago than this are deleted.</summary>
    public TimeSpan SessionRetention { get; set; } = TimeSpan.FromDays(30);

    public TimeSpan VerificationCleanupInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Verification rows and device codes expired longer ago than this are deleted.</summary>
    public TimeSpan VerificationRetention { get; set; } = TimeSpan.FromHours(24);

    public TimeSpan AuditRetentionInterval { get; set; } = TimeSpan.FromDays(1);

    public TimeSpan DevMailboxCleanupInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Dev mailbox messages older than this are deleted.</summary>
    public TimeSpan DevMailboxRetention { get; set; } = TimeSpan.FromHours(24);

    internal string? Validate() =>
        new[] { SessionCleanupInterval, SessionRetention, VerificationCleanupInterval, VerificationRetention, AuditRetentionInterval, DevMailboxCleanupInterval, DevMailboxRetention }
            .Any(t => t <= TimeSpan.Zero)
            ? "Iam:Jobs intervals and retention periods must be positive."
            : null;
}

/// <summary>Audit settings the retention job reads (section <c>Iam:Audit</c>).</summary>
internal sealed class AuditRetentionOptions
{
    public const string Section = "Iam:Audit";

    /// <summary>Audit events older than this many days are deleted (iam.md §4.14).</summary>
    [Range(1, 36_500)]
    public int RetentionDays { get; set; } = 400;
}
