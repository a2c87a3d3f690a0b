using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Nno.Core.Services;
using Nno.Iam.Audit;
using Nno.Iam.Data;
using Nno.Iam.Health;
using Nno.Iam.Jobs;
using Nno.Iam.Mail;
using Nno.Iam.Notifications;
using Nno.Iam.Passwords;
using Nno.Iam.ServiceTokens;
using Nno.Iam.SigningKeys;
using Nno.ServiceDefaults.Data;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Idempotency;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam;

/// <summary>The iam service: how the host adds it and maps its endpoints.</summary>
public static class IamService
{
    /// <summary>The module the host builds into its own application.</summary>
    public static NnoServiceModule Module { get; } = new(NnoServices.IamInfo, b => b.AddIam(), a => a.MapIam());

    public static IHostApplicationBuilder AddIam(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        // The database first: its migration step must run before anything that reads tables at start.
        services.AddNnoDatabase<IamDbContext>("iam");
        services.AddNnoIdempotency<IamDbContext>();
        services.AddScoped<AuditLog>();
        services.AddSigningKeys();
        services.AddIamPasswords();
        services.AddOptions<IamOptions>().BindConfiguration(IamOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Links.CallbackUrls>();
        services.AddSingleton<Mail.OutboxSignal>();
        services.AddScoped<Mail.EmailOutbox>();
        services.AddIamEmail();
        services.AddIamJobs();
        services.AddIamReadiness();

        services.AddOptions<ServiceTokenOptions>().BindConfiguration(ServiceTokenOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ServiceClientOptions>().BindConfiguration(ServiceClientOptions.Section);
        services.AddSingleton<ServiceClientCredentials>();
        services.AddHostedService<ServiceClientCredentialsReport>();
        services.AddSingleton<ServiceTokenFailureLimiter>();
        services.AddSingleton<ServiceTokenIssuer>();
        // IAM mints its own token instead of asking itself over a binding.
        services.Replace(ServiceDescriptor.Singleton<IServiceTokenProvider, IamServiceTokenProvider>());
        return builder;
    }

    public static IEndpointRouteBuilder MapIam(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapServiceTokens();
        app.MapJwks();
        app.MapDevMailbox();
        app.MapNotifications();
        return app;
    }
}
