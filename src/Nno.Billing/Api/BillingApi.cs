using Microsoft.AspNetCore.Routing;

namespace Nno.Billing.Api;

/// <summary>Billing's routes at the service root (billing.md §3).</summary>
internal static class BillingApi
{
    /// <summary>Largest request body (16 KiB).</summary>
    public const long MaxBodyBytes = 16 * 1024;

    public static IEndpointRouteBuilder MapBillingApi(this IEndpointRouteBuilder app)
    {
        app.MapCustomers();
        app.MapSubscriptions();
        return app;
    }
}
