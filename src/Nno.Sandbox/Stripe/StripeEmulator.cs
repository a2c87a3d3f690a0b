using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Nno.Sandbox.Stripe.Admin;
using Nno.Sandbox.Stripe.Catalog;
using Nno.Sandbox.Stripe.Common;
using Nno.Sandbox.Stripe.Customers;
using Nno.Sandbox.Stripe.Events;
using Nno.Sandbox.Stripe.Invoices;
using Nno.Sandbox.Stripe.Pipeline;
using Nno.Sandbox.Stripe.Portal;
using Nno.Sandbox.Stripe.Subscriptions;
using Nno.Sandbox.Stripe.Webhooks;

namespace Nno.Sandbox.Stripe;

/// <summary>
/// Adds the Stripe emulator (billing.md §5.1) to the Sandbox application: base <c>/stripe</c> (Stripe.net's
/// <c>apiBase</c>; it appends <c>/v1/…</c>), admin under <c>/stripe/_admin</c>, state in
/// <c>{dataDir}/sandbox/stripe/stripe.db</c>.
/// </summary>
public static class StripeEmulator
{
    /// <summary>The base path given to Stripe.net as <c>apiBase</c> (after the host).</summary>
    public const string BasePath = StripePipelineMiddleware.BasePath;

    /// <summary>Registers the emulator's services. Billing-engine parts add their <see cref="IStripeClockHook"/> singletons.</summary>
    public static IHostApplicationBuilder AddStripeEmulator(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<StripeOptions>().BindConfiguration(StripeOptions.Section);
        builder.Services.AddSingleton<StripeStore>();
        builder.Services.AddSingleton<StripeClock>();
        builder.Services.AddSingleton<StripeFaults>();
        builder.Services.AddSingleton<StripeIdempotency>();
        builder.Services.AddSingleton<StripeRequestLog>();
        builder.Services.AddSingleton<StripePaymentBehaviors>();
        builder.Services.AddSingleton<IStripeClockHook, StripeBillingEngine>();
        builder.Services.AddSingleton<StripeWebhooks>();
        builder.Services.AddSingleton<StripeWebhookDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StripeWebhookDispatcher>());
        return builder;
    }

    /// <summary>The pipeline of every <c>/stripe/</c> request (after routing, before the endpoints).</summary>
    public static IApplicationBuilder UseStripeEmulator(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.UseMiddleware<StripePipelineMiddleware>();
    }

    /// <summary>Creates the tables, loads the clock offset and maps the admin API and every resource's routes.</summary>
    public static IEndpointRouteBuilder MapStripeEmulator(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.ServiceProvider.GetRequiredService<StripeStore>().EnsureSchemaAsync().GetAwaiter().GetResult();
        app.ServiceProvider.GetRequiredService<StripeClock>().LoadAsync().GetAwaiter().GetResult();
        app.ServiceProvider.GetRequiredService<StripeWebhooks>().InitializeAsync().GetAwaiter().GetResult();

        var admin = StripeAdminApi.Map(app);
        StripeWebhooksAdminApi.Map(admin);
        PortalPage.Map(app);
        var v1 = app.MapGroup(BasePath + "/v1");
        CustomersApi.Map(v1);
        ProductsApi.Map(v1);
        PricesApi.Map(v1);
        PortalApi.Map(v1);
        EventsApi.Map(v1);
        SubscriptionsApi.Map(v1);
        InvoicesApi.Map(v1);
        return app;
    }
}
