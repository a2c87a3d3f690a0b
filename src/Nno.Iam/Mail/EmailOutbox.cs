using Nno.Iam.Data;

namespace Nno.Iam.Mail;

/// <summary>Email templates of iam.md §2 (<c>email_outbox.template</c>).</summary>
internal static class EmailTemplateNames
{
    public const string MagicLink = "magic-link";
    public const string VerifyEmail = "verify-email";
    public const string Invitation = "invitation";
    public const string LockoutNotice = "lockout-notice";
    public const string Notification = "notification";
}

/// <summary>A rendered email: what goes into an <c>email_outbox</c> row.</summary>
internal sealed record EmailMessage(string Template, string Subject, string Text, string Html);

/// <summary>
/// Queues email in the same transaction as its cause (iam.md §4.10): <see cref="Add"/> adds the row to the caller's
/// pending changes; once they are committed the dispatcher is woken, so delivery starts without waiting for its timer.
/// Saved outside a transaction, the save is the commit. Saved inside an explicit transaction, the row is invisible to
/// the dispatcher's own connection until the commit, and EF Core raises no event then: the wake-up is sent when the
/// unit of work (the request's scope) ends instead; a wake-up after a rollback costs one empty pass.
/// </summary>
internal sealed class EmailOutbox(IamDbContext db, TimeProvider time, OutboxSignal signal) : IDisposable
{
    private bool _hooked;
    private bool _wakeAtEnd;

    public EmailOutboxRecord Add(string toAddress, EmailMessage message, string? dedupeKey = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var record = new EmailOutboxRecord
        {
            Id = IamIds.New("eml"),
            ToAddress = toAddress,
            Template = message.Template,
            DedupeKey = dedupeKey,
            Subject = message.Subject,
            TextBody = message.Text,
            HtmlBody = message.Html,
            Status = OutboxStatuses.Pending,
            Attempts = 0,
            NextAttemptAt = now,
            CreatedAt = now,
        };
        db.EmailOutbox.Add(record);
        if (!_hooked)
        {
            _hooked = true;
            db.SavedChanges += (_, _) =>
            {
                if (db.Database.CurrentTransaction is null)
                {
                    signal.Notify();
                }
                else
                {
                    _wakeAtEnd = true;
                }
            };
        }

        return record;
    }

    public void Dispose()
    {
        if (_wakeAtEnd)
        {
            _wakeAtEnd = false;
            signal.Notify();
        }
    }
}

/// <summary><c>email_outbox.status</c> values.</summary>
internal static class OutboxStatuses
{
    public const string Pending = "pending";
    public const string Sending = "sending";
    public const string Sent = "sent";
    public const string Failed = "failed";
}

/// <summary>Wakes the outbox dispatcher when new email was committed (it also polls on its own timer).</summary>
internal sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another caller woke the dispatcher first: one wake-up is enough.
            }
        }
    }

    /// <summary>Waits for a notification or <paramref name="timeout"/>, whichever comes first.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);

    public void Dispose() => _signal.Dispose();
}
