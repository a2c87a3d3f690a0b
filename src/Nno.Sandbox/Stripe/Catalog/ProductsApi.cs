using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nno.Sandbox.Stripe.Common;

namespace Nno.Sandbox.Stripe.Catalog;

/// <summary>Products (billing.md §5.1): <c>POST /v1/products</c>, <c>GET /v1/products/{id}</c>.</summary>
internal static class ProductsApi
{
    public const string Kind = "product";

    public static void Map(RouteGroupBuilder v1)
    {
        var products = v1.MapGroup("/products").WithTags("Stripe products");
        products.MapPost("", Create).WithName("StripeCreateProduct").WithSummary("Creates a product.");
        products.MapGet("/{id}", Get).WithName("StripeGetProduct").WithSummary("Reads a product.");
    }

    /// <summary>A new product object (also used by <c>product_data</c> of a price).</summary>
    internal static JsonObject New(StripeParams p, long now)
    {
        var name = p.RequiredString("name");
        if (name.Length > 250)
        {
            throw StripeException.Invalid(p.Full("name"), "Invalid name: must be at most 250 characters");
        }

        var metadata = p.GetHash("metadata");
        StripeObjects.CheckMetadata(metadata, p.Full("metadata"));
        return new JsonObject
        {
            ["id"] = StripeStore.NewId("prod"),
            ["object"] = Kind,
            ["active"] = p.GetBoolean("active") ?? true,
            ["created"] = now,
            ["default_price"] = null,
            ["description"] = p.GetString("description") is { Length: > 0 } d ? d : null,
            ["images"] = new JsonArray(),
            ["livemode"] = false,
            ["marketing_features"] = new JsonArray(),
            ["metadata"] = StripeObjects.Metadata(metadata?.Where(kv => kv.Value.Length > 0).ToDictionary()),
            ["name"] = name,
            ["package_dimensions"] = null,
            ["shippable"] = null,
            ["statement_descriptor"] = null,
            ["tax_code"] = null,
            ["type"] = "service",
            ["unit_label"] = null,
            ["updated"] = now,
            ["url"] = null,
        };
    }

    private static async Task<IResult> Create(HttpContext http, StripeStore store, StripeClock clock, CancellationToken cancellationToken)
    {
        var p = StripeRequestContext.Get(http).Params;
        p.OnlyAllow("name", "description", "active", "metadata", "expand");
        var product = New(p, clock.UnixNow);
        var answer = await store.WriteAsync(async (connection, transaction) =>
        {
            await StripeStore.InsertObjectAsync(connection, transaction, product, new ObjectColumns(Active: (bool)product["active"]!), cancellationToken);
            await StripeExpand.ApplyAsync(product, p.GetList("expand"), connection, transaction, cancellationToken);
            return product;
        }, cancellationToken);
        return StripeResults.Json(answer);
    }

    private static async Task<IResult> Get(string id, HttpContext http, StripeStore store, CancellationToken cancellationToken)
    {
        var p = StripeRequestContext.Get(http).Params;
        p.OnlyAllow("expand");
        var product = await store.GetObjectAsync(id, Kind, cancellationToken) ?? throw StripeException.NoSuch(Kind, id);
        await StripeExpand.ApplyAsync(product, p.GetList("expand"), store, cancellationToken);
        return StripeResults.Json(product);
    }
}
