namespace Nno.Iam.Mail;

/// <summary>One email to deliver: an <c>email_outbox</c> row's content. <see cref="Id"/> is the idempotency key.</summary>
internal sealed record OutgoingEmail(string Id, string To, string Subject, string Text, string Html);

/// <summary>What became of one delivery attempt.</summary>
internal enum EmailSendStatus
{
    /// <summary>The provider accepted the email.</summary>
    Sent,

    /// <summary>A transient failure (timeout, connection, 5xx, 429, SMTP 4xx): try again later.</summary>
    Retry,

    /// <summary>The provider refused the email for good (HTTP 4xx, SMTP 5xx): retrying cannot help.</summary>
    Failed,
}

/// <summary>The outcome of <see cref="IEmailSender.SendAsync"/>; <see cref="Error"/> never holds the email's content.</summary>
internal sealed record EmailSendResult(EmailSendStatus Status, string? Error = null, TimeSpan? RetryAfter = null)
{
    public static EmailSendResult Sent { get; } = new(EmailSendStatus.Sent);

    public static EmailSendResult Retry(string error, TimeSpan? retryAfter = null) => new(EmailSendStatus.Retry, error, retryAfter);

    public static EmailSendResult Failed(string error) => new(EmailSendStatus.Failed, error);
}

/// <summary>
/// Delivers one email through the configured provider (iam.md §4.10, §5). Implementations translate every provider
/// failure into a result (they do not throw for it) and send the same <see cref="OutgoingEmail.Id"/> on every attempt, so
/// a provider that deduplicates delivers a retried email once.
/// </summary>
internal interface IEmailSender
{
    Task<EmailSendResult> SendAsync(OutgoingEmail email, CancellationToken cancellationToken);
}
