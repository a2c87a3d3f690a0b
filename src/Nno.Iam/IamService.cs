using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Nno.Core.Services;
using Nno.Iam.ApiKeys;
using Nno.Iam.Audit;
using Nno.Iam.Bootstrap;
using Nno.Iam.Data;
using Nno.Iam.Invitations;
using Nno.Iam.Organizations;
using Nno.Iam.Devices;
using Nno.Iam.Health;
using Nno.Iam.Jobs;
using Nno.Iam.Mail;
using Nno.Iam.Notifications;
using Nno.Iam.Passwords;
using Nno.Iam.Permissions;
using Nno.Iam.Platforms;
using Nno.Iam.ServiceTokens;
using Nno.Iam.Sessions;
using Nno.Iam.SigningKeys;
using Nno.Iam.Users;
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
        services.AddHttpContextAccessor();
        services.AddScoped<Access.IamCallers>();
        services.AddScoped<Evictions.IamEvictions>();
        services.AddOptions<Sessions.SessionOptions>().BindConfiguration(Sessions.SessionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Mfa.MfaOptions>().BindConfiguration(Mfa.MfaOptions.Section);
        services.AddSingleton<Mfa.OperatorMfaRule>();
        services.AddScoped<Sessions.SessionStore>();
        services.AddScoped<Sessions.EnrichedSessionBuilder>();
        services.AddScoped<Permissions.EffectivePermissions>();
        services.AddScoped<Platforms.PlatformMemberships>();
        services.AddScoped<Organizations.OrganizationAccess>();
        services.AddScoped<Invitations.InvitationLinks>();
        services.AddOptions<Invitations.InvitationOptions>().BindConfiguration(Invitations.InvitationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        Auth.AuthApi.AddAuth(services);
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

        // API keys, device authorization, bootstrap, users administration, audit reads.
        services.AddSingleton<Paging.IamCursors>();
        services.AddOptions<ApiKeys.ApiKeyOptions>().BindConfiguration(ApiKeys.ApiKeyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ApiKeys.ApiKeyMetrics>();
        services.AddScoped<ApiKeys.ApiKeyVerifier>();
        services.AddOptions<Devices.DeviceOptions>().BindConfiguration(Devices.DeviceOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Devices.DeviceLookupLimiter>();
        services.AddScoped<Devices.DeviceDecisions>();
        services.AddScoped<Bootstrap.OperatorBootstrap>();
        services.AddOptions<Bootstrap.BootstrapOptions>().BindConfiguration(Bootstrap.BootstrapOptions.Section);
        services.AddHostedService<Bootstrap.BootstrapSeeding>();
        services.AddScoped<Users.UserAdministration>();
        return builder;
    }

    public static IEndpointRouteBuilder MapIam(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapServiceTokens();
        app.MapJwks();
        app.MapNnoSession();
        app.MapActiveSelection();
        app.MapPlatformMembers();
        app.MapOrganizations();
        app.MapOrganizationMembers();
        app.MapRoleMappings();
        app.MapGrants();
        app.MapInvitations();
        app.MapApiKeys();
        app.MapDeviceAuthorization();
        app.MapBootstrap();
        app.MapUsers();
        app.MapAuditEvents();
        Auth.AuthApi.MapAuth(app);
        app.MapSessions();
        app.MapDevMailbox();
        app.MapNotifications();
        return app;
    }
}
