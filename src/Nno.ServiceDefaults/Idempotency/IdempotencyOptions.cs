namespace Nno.ServiceDefaults.Idempotency;

/// <summary>Settings of the <c>Idempotency-Key</c> mechanism (section <c>Nno:Idempotency</c>).</summary>
public sealed class IdempotencyOptions
{
    public const string Section = "Nno:Idempotency";

    /// <summary>How long a first response is kept and replayed (00-system §7: 24 hours).</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often expired rows are purged.</summary>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// After this long an in-progress row is considered abandoned (its process died mid-request) and a repeat with the
    /// same request may run again. Longer than any request may take.
    /// </summary>
    public TimeSpan InProgressTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The <c>Retry-After</c> seconds sent with the 409 for a repeat while the first request is still running.</summary>
    public int InProgressRetryAfterSeconds { get; set; } = 1;

    /// <summary>Response headers stored with the response and replayed (besides <c>Content-Type</c>).</summary>
    public IList<string> ReplayedHeaders { get; } = ["Location"];

    internal string? Validate()
    {
        if (Retention <= TimeSpan.Zero)
        {
            return "Nno:Idempotency:Retention must be positive.";
        }

        if (CleanupInterval <= TimeSpan.Zero)
        {
            return "Nno:Idempotency:CleanupInterval must be positive.";
        }

        if (InProgressTimeout <= TimeSpan.Zero)
        {
            return "Nno:Idempotency:InProgressTimeout must be positive.";
        }

        return InProgressRetryAfterSeconds < 0 ? "Nno:Idempotency:InProgressRetryAfterSeconds must not be negative." : null;
    }
}
