using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Nno.Iam.Mail;

namespace Nno.Iam.Notifications;

/// <summary>The notification kinds of iam.md §4.10.</summary>
internal static class NotificationKinds
{
    public const string UsageThreshold = "usage_threshold";
    public const string PaymentPastDue = "payment_past_due";
    public const string PlatformSuspended = "platform_suspended";
    public const string PlatformRestored = "platform_restored";
    public const string CancellationScheduled = "cancellation_scheduled";
    public const string PlatformResumed = "platform_resumed";
    public const string PlatformCancelled = "platform_cancelled";
    public const string PlatformDeleted = "platform_deleted";
    public const string JobFailed = "job_failed";
    public const string BuildFailed = "build_failed";
    public const string DeadLetter = "dead_letter";
    public const string OwnershipTransfer = "ownership_transfer";

    public static IReadOnlyList<string> All { get; } =
    [
        UsageThreshold, PaymentPastDue, PlatformSuspended, PlatformRestored, CancellationScheduled, PlatformResumed,
        PlatformCancelled, PlatformDeleted, JobFailed, BuildFailed, DeadLetter, OwnershipTransfer,
    ];
}

/// <summary>
/// The fixed email of each notification kind. The caller's <c>data</c> is shown only as escaped text in a details list
/// (with <c>://</c> broken up, so mail clients do not turn it into links); the one link is a console path IAM builds from
/// ids it has validated.
/// </summary>
internal static partial class NotificationTemplates
{
    private sealed record Template(string Subject, string Paragraph, string Action, Func<string?, IReadOnlyDictionary<string, JsonElement>, string> Path);

    private static readonly Dictionary<string, Template> Templates = new(StringComparer.Ordinal)
    {
        [NotificationKinds.UsageThreshold] = new(
            "Usage alert for your NNO platform",
            "Your platform reached a usage threshold of its plan. Review its usage and plan to avoid interruptions.",
            "Review usage", (p, _) => PlatformPath(p, "/billing")),
        [NotificationKinds.PaymentPastDue] = new(
            "Payment past due for your NNO platform",
            "The latest payment for your platform did not go through. Update the payment method before the grace period ends, or the platform will be suspended.",
            "Update payment method", (p, _) => PlatformPath(p, "/billing")),
        [NotificationKinds.PlatformSuspended] = new(
            "Your NNO platform was suspended",
            "Your platform was suspended. Its applications stop serving requests until it is restored.",
            "Open the platform", (p, _) => PlatformPath(p, string.Empty)),
        [NotificationKinds.PlatformRestored] = new(
            "Your NNO platform was restored",
            "Your platform was restored and serves requests again.",
            "Open the platform", (p, _) => PlatformPath(p, string.Empty)),
        [NotificationKinds.CancellationScheduled] = new(
            "Cancellation of your NNO platform is scheduled",
            "Your platform is scheduled to be cancelled at the end of its billing period. Until then you can resume it.",
            "Open the platform", (p, _) => PlatformPath(p, string.Empty)),
        [NotificationKinds.PlatformResumed] = new(
            "Your NNO platform was resumed",
            "The scheduled cancellation of your platform was withdrawn; it stays active.",
            "Open the platform", (p, _) => PlatformPath(p, string.Empty)),
        [NotificationKinds.PlatformCancelled] = new(
            "Your NNO platform was cancelled",
            "Your platform was cancelled. Its record stays readable for a retention period, after which it is deleted.",
            "Open the platform", (p, _) => PlatformPath(p, string.Empty)),
        [NotificationKinds.PlatformDeleted] = new(
            "Your NNO platform was deleted",
            "Your platform was deleted.",
            "Open NNO", (_, _) => "/platforms"),
        [NotificationKinds.JobFailed] = new(
            "A job failed on your NNO platform",
            "A provisioning job of your platform failed. Its steps and error are shown on the job's page.",
            "Open the job", (p, d) => JobPath(p, d)),
        [NotificationKinds.BuildFailed] = new(
            "A build failed on your NNO platform",
            "A build of your platform's services failed. The build state of each environment is shown on the platform's page.",
            "Open the platform", (p, _) => PlatformPath(p, string.Empty)),
        [NotificationKinds.DeadLetter] = new(
            "A provisioning job was dead-lettered",
            "A provisioning job exhausted its retries and was dead-lettered. It needs an operator.",
            "Open the job", (p, d) => JobPath(p, d)),
        [NotificationKinds.OwnershipTransfer] = new(
            "Ownership transfer of an NNO platform",
            "The ownership of a platform is being transferred. Open the platform to see the transfer and accept or cancel it.",
            "Open the platform", (p, _) => PlatformPath(p, string.Empty)),
    };

    /// <summary>The email for <paramref name="kind"/> (one of <see cref="NotificationKinds.All"/>).</summary>
    public static EmailMessage Render(string kind, string? platformId, IReadOnlyDictionary<string, JsonElement> data, string consoleBaseUrl)
    {
        var template = Templates[kind];
        var link = consoleBaseUrl.TrimEnd('/') + template.Path(platformId, data);
        var details = data.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => (d.Key, Value: Defang(Text(d.Value)))).ToList();
        if (platformId is not null)
        {
            details.Insert(0, ("platformId", platformId));
        }

        var text = new StringBuilder(template.Paragraph).Append("\n\n");
        foreach (var (key, value) in details)
        {
            text.Append(key).Append(": ").Append(value).Append('\n');
        }

        text.Append('\n').Append(template.Action).Append(": ").Append(link).Append("\n\n").Append(Footer).Append('\n');

        var html = new StringBuilder("<!doctype html><html><body style=\"font-family:sans-serif\">")
            .Append("<p>").Append(WebUtility.HtmlEncode(template.Paragraph)).Append("</p><ul>");
        foreach (var (key, value) in details)
        {
            html.Append("<li><strong>").Append(WebUtility.HtmlEncode(key)).Append("</strong>: ").Append(WebUtility.HtmlEncode(value)).Append("</li>");
        }

        html.Append("</ul><p><a href=\"").Append(WebUtility.HtmlEncode(link)).Append("\">").Append(WebUtility.HtmlEncode(template.Action)).Append("</a></p>")
            .Append("<p style=\"color:#666\">").Append(WebUtility.HtmlEncode(Footer)).Append("</p></body></html>");
        return new EmailMessage(EmailTemplateNames.Notification, template.Subject, text.ToString(), html.ToString());
    }

    private const string Footer = "You receive this email because of your role on NNO.";

    private static string PlatformPath(string? platformId, string suffix) =>
        platformId is null ? "/platforms" : "/platforms/" + Uri.EscapeDataString(platformId) + suffix;

    private static string JobPath(string? platformId, IReadOnlyDictionary<string, JsonElement> data)
    {
        if (platformId is null)
        {
            return "/platforms";
        }

        return data.TryGetValue("jobId", out var job) && job.ValueKind == JsonValueKind.String && SafeId().IsMatch(job.GetString()!)
            ? PlatformPath(platformId, "/jobs/" + Uri.EscapeDataString(job.GetString()!))
            : PlatformPath(platformId, "/jobs");
    }

    /// <summary>A string as-is (control characters turned into spaces, so a value cannot add lines); a number in its JSON form.</summary>
    private static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String
        ? new string(value.GetString()!.Select(c => char.IsControl(c) ? ' ' : c).ToArray())
        : value.GetRawText();

    /// <summary>Breaks up URL schemes (<c>https://x</c> → <c>https[:]//x</c>) so no client makes a link of caller data.</summary>
    private static string Defang(string value) => value.Replace("://", "[:]//", StringComparison.Ordinal);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex SafeId();
}
