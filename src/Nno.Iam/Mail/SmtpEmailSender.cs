using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Nno.Iam.Mail;

/// <summary>
/// The <c>smtp</c> provider (iam.md §5) through MailKit: STARTTLS unless <c>Iam:Email:Smtp:UseStartTls</c> is false,
/// authentication when a username is set, a 10 s timeout. 5xx replies → failed; 4xx replies, connection and TLS failures
/// and timeouts → retry. The Message-Id is derived from the outbox id, so receivers can recognise a repeat.
/// </summary>
internal sealed class SmtpEmailSender(IOptions<EmailOptions> options, IConfiguration configuration) : IEmailSender
{
    public async Task<EmailSendResult> SendAsync(OutgoingEmail email, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(email);
        var settings = options.Value;
        MimeMessage built;
        try
        {
            built = Build(email, settings);
        }
        catch (ParseException)
        {
            return EmailSendResult.Failed("smtp: the recipient address cannot be written as a mailbox");
        }

        using var message = built;
        using var client = new SmtpClient { Timeout = (int)settings.Smtp.Timeout.TotalMilliseconds };
        try
        {
            await client.ConnectAsync(settings.Smtp.Host!, settings.Smtp.Port, settings.Smtp.UseStartTls ? SecureSocketOptions.StartTls : SecureSocketOptions.None, cancellationToken);
            if (!string.IsNullOrEmpty(settings.Smtp.Username))
            {
                await client.AuthenticateAsync(settings.Smtp.Username, configuration[EmailOptions.SmtpPasswordKey] ?? string.Empty, cancellationToken);
            }

            await client.SendAsync(message, cancellationToken);
            await client.DisconnectAsync(quit: true, cancellationToken);
            return EmailSendResult.Sent;
        }
        catch (SmtpCommandException ex)
        {
            var error = $"smtp: {(int)ex.StatusCode} {ex.ErrorCode}";
            return (int)ex.StatusCode >= 500 ? EmailSendResult.Failed(error) : EmailSendResult.Retry(error);
        }
        catch (Exception ex) when (ex is SmtpProtocolException or IOException or SocketException or SslHandshakeException
            or AuthenticationException or TimeoutException or ServiceNotConnectedException
            or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Connection, TLS, protocol and authentication problems may clear up (a relay restarting, a corrected
            // password); the attempt limit ends the retries of a setting that stays wrong.
            return EmailSendResult.Retry("smtp: " + ex.GetType().Name);
        }
    }

    private static MimeMessage Build(OutgoingEmail email, EmailOptions settings)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(settings.From!));
        message.To.Add(MailboxAddress.Parse(email.To));
        message.Subject = email.Subject;
        var domain = message.From.Mailboxes.First().Domain;
        message.MessageId = $"{email.Id}@{(string.IsNullOrEmpty(domain) ? "nno" : domain)}";
        message.Body = new BodyBuilder { TextBody = email.Text, HtmlBody = email.Html }.ToMessageBody();
        return message;
    }
}
