using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Nno.Billing.Data;
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
        builder.Services.AddNnoDatabase<BillingDbContext>(BillingDbContext.DatabaseName);
        builder.Services.AddNnoIdempotency<BillingDbContext>();
        return builder;
    }

    public static IEndpointRouteBuilder MapBilling(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app;
    }
}
