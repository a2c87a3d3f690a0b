using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Nno.Iam.Mail;

/// <summary>Registers email delivery: settings, the configured provider, the outbox dispatcher and the dev mailbox.</summary>
internal static class EmailSetup
{
    public static IServiceCollection AddIamEmail(this IServiceCollection services)
    {
        services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.Section).ValidateOnStart();
        services.AddSingleton<EmailOptionsSetup>();
        services.AddSingleton<IPostConfigureOptions<EmailOptions>>(sp => sp.GetRequiredService<EmailOptionsSetup>());
        services.AddSingleton<IValidateOptions<EmailOptions>>(sp => sp.GetRequiredService<EmailOptionsSetup>());

        services.AddScoped<MailboxEmailSender>();
        services.AddSingleton<SmtpEmailSender>();
        services.AddHttpClient<ResendEmailSender>((sp, client) =>
        {
            var resend = sp.GetRequiredService<IOptions<EmailOptions>>().Value.Resend;
            client.BaseAddress = new Uri(resend.BaseUrl.TrimEnd('/') + "/");
            client.Timeout = resend.Timeout;
        });
        // Resolved per dispatcher pass (in its scope): the typed Resend client is short-lived by design.
        services.AddTransient<IEmailSender>(sp => sp.GetRequiredService<IOptions<EmailOptions>>().Value.Provider switch
        {
            EmailProviders.Resend => sp.GetRequiredService<ResendEmailSender>(),
            EmailProviders.Smtp => sp.GetRequiredService<SmtpEmailSender>(),
            _ => sp.GetRequiredService<MailboxEmailSender>(),
        });

        services.AddMetrics();
        services.AddSingleton<EmailMetrics>();
        services.AddHostedService<OutboxDispatcher>();
        services.AddSingleton<DevMailboxCursors>();
        return services;
    }
}
