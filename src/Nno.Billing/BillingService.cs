using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Nno.Billing.Api;
using Nno.Billing.Data;
using Nno.Billing.Prices;
using Nno.Billing.Stripe;
using Nno.Core.Services;
using Nno.ServiceDefaults.Data;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Idempotency;

namespace Nno.Billing;

/// <summary>The billing service: how the host adds it and maps its endpoints.</summary>
public static class BillingService
{
    /// <summary>The module the host builds into its own application.</summary>
    public static NnoServiceModule Module { get; } = new(NnoServices.BillingInfo, b => b.AddBilling(), a => a.MapBilling());

    public static IHostApplicationBuilder AddBilling(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddNnoDatabase<BillingDbContext>(BillingDbContext.DatabaseName);
        services.AddNnoIdempotency<BillingDbContext>();
        services.AddBillingOptions();
        // The one Stripe client (billing.md §5): real API with STRIPE_SECRET_KEY, else the Sandbox in local/dev.
        services.AddBillingStripe();
        services.AddBillingPrices();
        services.AddSingleton<PlatformGate>();
        services.AddSingleton<BillingCursors>();
        return builder;
    }

    /// <summary>Binds <see cref="BillingOptions"/> (tier defaults filled in) and validates them while the host starts.</summary>
    public static IServiceCollection AddBillingOptions(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<BillingOptions>().BindConfiguration(BillingOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<BillingOptions>, BillingOptionsDefaults>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BillingOptions>, BillingOptionsValidator>());
        return services;
    }

    public static IEndpointRouteBuilder MapBilling(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.MapBillingApi();
    }
}
