using Microsoft.EntityFrameworkCore;
using Nno.Core.Credentials;
using Nno.Iam.Data;

namespace Nno.Iam.Mail;

/// <summary>
/// The <c>mailbox</c> provider (local/dev): keeps each email in <c>dev_mailbox</c> for the console and tests instead of
/// delivering it. The row id is the outbox id, so a retried or reclaimed email lands once.
/// </summary>
internal sealed class MailboxEmailSender(IamDbContext db, TimeProvider time) : IEmailSender
{
    public async Task<EmailSendResult> SendAsync(OutgoingEmail email, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(email);
        var to = EmailAddress.TryParse(email.To, out var address, out _) ? address.Normalized : email.To.Trim().ToLowerInvariant();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO "dev_mailbox" ("id", "to_normalized", "subject", "text_body", "html_body", "created_at")
            VALUES ({email.Id}, {to}, {email.Subject}, {email.Text}, {email.Html}, {now})
            ON CONFLICT ("id") DO NOTHING
            """,
            cancellationToken);
        return EmailSendResult.Sent;
    }
}
