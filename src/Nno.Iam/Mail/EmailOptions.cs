using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Nno.ServiceDefaults.Hosting;

namespace Nno.Iam.Mail;

/// <summary>Email delivery settings (section <c>Iam:Email</c>, iam.md §4.10, §5). Secrets come from <c>RESEND_API_KEY</c> and <c>SMTP_PASSWORD</c>.</summary>
internal sealed class EmailOptions
{
    public const string Section = "Iam:Email";

    /// <summary>Configuration key of the Resend API key (a secret: never in a settings file).</summary>
    public const string ResendApiKeyKey = "RESEND_API_KEY";

    /// <summary>Configuration key of the SMTP password.</summary>
    public const string SmtpPasswordKey = "SMTP_PASSWORD";

    /// <summary><c>mailbox</c>, <c>resend</c> or <c>smtp</c>; unset: <c>mailbox</c> in local/dev, <c>resend</c> in stg/prod.</summary>
    public string? Provider { get; set; }

    /// <summary>The sender, e.g. <c>NNO &lt;no-reply@nno.app&gt;</c>; required by <c>resend</c> and <c>smtp</c>.</summary>
    public string? From { get; set; }

    /// <summary>How often the dispatcher looks for due rows when nothing woke it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Rows claimed per pass.</summary>
    public int BatchSize { get; set; } = 20;

    /// <summary>How long a claim holds a row; a claim older than this is stale and the row is taken again.</summary>
    public TimeSpan ClaimDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>First retry delay; doubled per attempt up to <see cref="RetryCap"/>.</summary>
    public TimeSpan RetryBase { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan RetryCap { get; set; } = TimeSpan.FromHours(1);

    /// <summary>After this many attempts a row is <c>failed</c>.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Sent rows are deleted this long after sending.</summary>
    public TimeSpan SentRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the dispatcher purges old sent rows.</summary>
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Readiness reports <c>backlog</c> when a due pending row is older than this.</summary>
    public TimeSpan BacklogAge { get; set; } = TimeSpan.FromMinutes(5);

    public ResendSettings Resend { get; set; } = new();

    public SmtpSettings Smtp { get; set; } = new();

    /// <summary>Settings of the <c>resend</c> provider.</summary>
    internal sealed class ResendSettings
    {
        /// <summary>Resend's API root; a test points it at a local fake.</summary>
        public string BaseUrl { get; set; } = "https://api.resend.com";

        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
    }

    /// <summary>Settings of the <c>smtp</c> provider.</summary>
    internal sealed class SmtpSettings
    {
        public string? Host { get; set; }

        public int Port { get; set; } = 587;

        /// <summary>STARTTLS (required) unless false; false sends in plain text (local relays and tests only).</summary>
        public bool UseStartTls { get; set; } = true;

        /// <summary>Authenticates with <c>SMTP_PASSWORD</c> when set.</summary>
        public string? Username { get; set; }

        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
    }
}

/// <summary>The email providers of iam.md §4.10.</summary>
internal static class EmailProviders
{
    public const string Mailbox = "mailbox";
    public const string Resend = "resend";
    public const string Smtp = "smtp";

    /// <summary>The provider of an environment when none is configured.</summary>
    public static string DefaultFor(string environment) => environment is "stg" or "prod" ? Resend : Mailbox;
}

/// <summary>Fills in the default provider and refuses settings that cannot deliver (start-up fails with the reason).</summary>
internal sealed class EmailOptionsSetup(IOptions<NnoOptions> nno, IConfiguration configuration) : IPostConfigureOptions<EmailOptions>, IValidateOptions<EmailOptions>
{
    public void PostConfigure(string? name, EmailOptions options)
    {
        options.Provider = string.IsNullOrWhiteSpace(options.Provider)
            ? EmailProviders.DefaultFor(nno.Value.Environment)
            : options.Provider.Trim().ToLowerInvariant();
    }

    public ValidateOptionsResult Validate(string? name, EmailOptions options)
    {
        var problems = new List<string>();
        var environment = nno.Value.Environment;
        switch (options.Provider)
        {
            case EmailProviders.Mailbox when environment is "stg" or "prod":
                problems.Add($"Iam:Email:Provider 'mailbox' keeps email instead of delivering it and is refused in {environment}; use resend or smtp.");
                break;
            case EmailProviders.Mailbox:
                break;
            case EmailProviders.Resend:
                if (string.IsNullOrWhiteSpace(configuration[EmailOptions.ResendApiKeyKey]))
                {
                    problems.Add($"Iam:Email:Provider 'resend' needs {EmailOptions.ResendApiKeyKey}.");
                }

                if (!Uri.TryCreate(options.Resend.BaseUrl, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("https" or "http"))
                {
                    problems.Add("Iam:Email:Resend:BaseUrl must be an absolute http(s) URL.");
                }

                break;
            case EmailProviders.Smtp:
                if (string.IsNullOrWhiteSpace(options.Smtp.Host))
                {
                    problems.Add("Iam:Email:Provider 'smtp' needs Iam:Email:Smtp:Host.");
                }

                if (options.Smtp.Port is < 1 or > 65535)
                {
                    problems.Add("Iam:Email:Smtp:Port must be 1-65535.");
                }

                if (!string.IsNullOrEmpty(options.Smtp.Username) && string.IsNullOrEmpty(configuration[EmailOptions.SmtpPasswordKey]))
                {
                    problems.Add($"Iam:Email:Smtp:Username is set but {EmailOptions.SmtpPasswordKey} is not.");
                }

                break;
            default:
                problems.Add($"Iam:Email:Provider must be mailbox, resend or smtp (got '{options.Provider}').");
                break;
        }

        if (options.Provider is EmailProviders.Resend or EmailProviders.Smtp && !MimeKit.MailboxAddress.TryParse(options.From ?? string.Empty, out _))
        {
            problems.Add($"Iam:Email:Provider '{options.Provider}' needs Iam:Email:From (a sender address such as 'NNO <no-reply@example.com>').");
        }

        if (options.PollInterval <= TimeSpan.Zero || options.ClaimDuration <= TimeSpan.Zero || options.RetryBase <= TimeSpan.Zero
            || options.RetryCap < options.RetryBase || options.SentRetention <= TimeSpan.Zero || options.PurgeInterval <= TimeSpan.Zero
            || options.BacklogAge <= TimeSpan.Zero || options.Resend.Timeout <= TimeSpan.Zero || options.Smtp.Timeout <= TimeSpan.Zero)
        {
            problems.Add("Iam:Email intervals must be positive (and RetryCap at least RetryBase).");
        }

        if (options.BatchSize is < 1 or > 1000 || options.MaxAttempts is < 1 or > 100)
        {
            problems.Add("Iam:Email:BatchSize must be 1-1000 and MaxAttempts 1-100.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
