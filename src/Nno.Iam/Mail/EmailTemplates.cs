using System.Net;

namespace Nno.Iam.Mail;

/// <summary>
/// The fixed texts of IAM's emails. Every value that came from a user is HTML-encoded; links are built by IAM from
/// its own tokens and the console base URL (iam.md §4.10), never taken from a request.
/// </summary>
internal static class EmailTemplates
{
    public static EmailMessage MagicLink(string link) => Build(
        EmailTemplateNames.MagicLink,
        "Your NNO sign-in link",
        "Use this link to sign in to NNO. It works once and expires in 10 minutes.",
        link,
        "Sign in",
        "If you did not ask for it, ignore this email.");

    public static EmailMessage VerifyEmail(string link) => Build(
        EmailTemplateNames.VerifyEmail,
        "Confirm your email address for NNO",
        "Confirm that this is your email address. The link works once and expires in 24 hours.",
        link,
        "Confirm email address",
        "If you did not create an NNO account, ignore this email.");

    /// <summary>An invitation; <paramref name="target"/> names what it is for (the organization, or "a platform"), shown as text.</summary>
    public static EmailMessage Invitation(string link, string inviterEmail, string target, string role) => Build(
        EmailTemplateNames.Invitation,
        "You are invited to " + target + " on NNO",
        $"{inviterEmail} invited you to join {target} on NNO as {role}. The invitation expires in 7 days.",
        link,
        "Open the invitation",
        "If you do not know the sender, ignore this email.");

    public static EmailMessage LockoutNotice(DateTimeOffset lockedUntil, string consoleBaseUrl) => Build(
        EmailTemplateNames.LockoutNotice,
        "Sign-in to your NNO account was locked",
        $"After several failed sign-in attempts, password sign-in to your account is locked until {lockedUntil:yyyy-MM-dd HH:mm} UTC. "
            + "If this was not you, someone may be guessing your password; you can still sign in with an email link.",
        consoleBaseUrl.TrimEnd('/') + "/auth/sign-in",
        "Go to NNO",
        "No action is needed if this was you.");

    /// <summary>One paragraph, one button with <paramref name="link"/>, one footer line; text and HTML versions.</summary>
    internal static EmailMessage Build(string template, string subject, string paragraph, string link, string action, string footer)
    {
        var text = $"{paragraph}\n\n{action}: {link}\n\n{footer}\n";
        var html = "<!doctype html><html><body style=\"font-family:sans-serif\">"
            + $"<p>{WebUtility.HtmlEncode(paragraph)}</p>"
            + $"<p><a href=\"{WebUtility.HtmlEncode(link)}\">{WebUtility.HtmlEncode(action)}</a></p>"
            + $"<p style=\"color:#666\">{WebUtility.HtmlEncode(footer)}</p></body></html>";
        return new EmailMessage(template, subject, text, html);
    }
}
