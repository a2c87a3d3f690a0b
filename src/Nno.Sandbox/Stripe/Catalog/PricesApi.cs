using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nno.Sandbox.Stripe.Common;

namespace Nno.Sandbox.Stripe.Catalog;

/// <summary>
/// Prices (billing.md §5.1): <c>POST /v1/prices</c> (monthly recurring only; <c>lookup_key</c> unique,
/// <c>transfer_lookup_key</c> moves it), <c>GET /v1/prices</c> (<c>lookup_keys[n]</c>, <c>active</c>, <c>product</c>),
/// <c>GET /v1/prices/{id}</c>.
/// </summary>
internal static class PricesApi
{
    public const string Kind = "price";

    public static void Map(RouteGroupBuilder v1)
    {
        var prices = v1.MapGroup("/prices").WithTags("Stripe prices");
        prices.MapPost("", Create).WithName("StripeCreatePrice").WithSummary("Creates a monthly recurring price.");
        prices.MapGet("", List).WithName("StripeListPrices").WithSummary("Lists prices by lookup keys, active flag or product.");
        prices.MapGet("/{id}", Get).WithName("StripeGetPrice").WithSummary("Reads a price.");
    }

    private static async Task<IResult> Create(HttpContext http, StripeStore store, StripeClock clock, CancellationToken cancellationToken)
    {
        var p = StripeRequestContext.Get(http).Params;
        p.OnlyAllow("currency", "unit_amount", "product", "product_data", "recurring", "lookup_key", "transfer_lookup_key",
            "metadata", "nickname", "active", "expand");
        var currency = p.RequiredString("currency").ToLowerInvariant();
        if (currency.Length != 3 || !currency.All(char.IsAsciiLetterLower))
        {
            throw StripeException.Invalid("currency", $"Invalid currency: {currency}. Stripe currently supports these currencies: usd, eur, …");
        }

        var amount = p.GetInteger("unit_amount") ?? throw StripeException.Missing("unit_amount");
        if (amount is < 0 or > 99_999_999)
        {
            throw StripeException.Invalid("unit_amount", "Invalid unit_amount: must be from 0 to 99999999", StripeErrorCodes.ParameterInvalidInteger);
        }

        var recurring = p.GetObject("recurring") ?? throw StripeException.Missing("recurring");
        recurring.OnlyAllow("interval", "interval_count", "usage_type");
        if (recurring.RequiredString("interval") != "month")
        {
            throw StripeException.Invalid("recurring[interval]", "The sandbox supports only monthly recurring prices (recurring[interval]=month).");
        }

        if (recurring.GetInteger("interval_count") is { } count && count != 1)
        {
            throw StripeException.Invalid("recurring[interval_count]", "The sandbox supports only recurring[interval_count]=1.");
        }

        if (recurring.GetString("usage_type") is { } usage && usage != "licensed")
        {
            throw StripeException.Invalid("recurring[usage_type]", "The sandbox supports only recurring[usage_type]=licensed.");
        }

        var productId = p.GetString("product");
        var productData = p.GetObject("product_data");
        if (string.IsNullOrEmpty(productId) == (productData is null))
        {
            throw string.IsNullOrEmpty(productId) && productData is null
                ? StripeException.Missing("product")
                : StripeException.Invalid("product_data", "You may only specify one of these parameters: product, product_data.");
        }

        productData?.OnlyAllow("name", "active", "metadata");
        var lookupKey = p.GetString("lookup_key") is { Length: > 0 } k ? k : null;
        if (lookupKey is { Length: > 200 })
        {
            throw StripeException.Invalid("lookup_key", "Invalid lookup_key: must be at most 200 characters");
        }

        var transfer = p.GetBoolean("transfer_lookup_key") ?? false;
        var metadata = p.GetHash("metadata");
        StripeObjects.CheckMetadata(metadata);
        var active = p.GetBoolean("active") ?? true;
        var now = clock.UnixNow;
        var product = productData is null ? null : ProductsApi.New(productData, now);
        var price = new JsonObject
        {
            ["id"] = StripeStore.NewId("price"),
            ["object"] = Kind,
            ["active"] = active,
            ["billing_scheme"] = "per_unit",
            ["created"] = now,
            ["currency"] = currency,
            ["custom_unit_amount"] = null,
            ["livemode"] = false,
            ["lookup_key"] = lookupKey,
            ["metadata"] = StripeObjects.Metadata(metadata?.Where(kv => kv.Value.Length > 0).ToDictionary()),
            ["nickname"] = p.GetString("nickname") is { Length: > 0 } nick ? nick : null,
            ["product"] = product?["id"]?.GetValue<string>() ?? productId,
            ["recurring"] = new JsonObject
            {
                ["interval"] = "month",
                ["interval_count"] = 1,
                ["meter"] = null,
                ["trial_period_days"] = null,
                ["usage_type"] = "licensed",
            },
            ["tax_behavior"] = "unspecified",
            ["tiers_mode"] = null,
            ["transform_quantity"] = null,
            ["type"] = "recurring",
            ["unit_amount"] = amount,
            ["unit_amount_decimal"] = amount.ToString(CultureInfo.InvariantCulture),
        };
        var answer = await store.WriteAsync(async (connection, transaction) =>
        {
            if (product is not null)
            {
                await StripeStore.InsertObjectAsync(connection, transaction, product, new ObjectColumns(Active: (bool)product["active"]!), cancellationToken);
            }
            else if (await StripeStore.GetObjectAsync(connection, transaction, productId!, ProductsApi.Kind, cancellationToken) is null)
            {
                throw StripeException.NoSuch(ProductsApi.Kind, productId!, "product");
            }

            if (lookupKey is not null)
            {
                await TakeLookupKeyAsync(connection, transaction, lookupKey, transfer, cancellationToken);
            }

            await StripeStore.InsertObjectAsync(connection, transaction, price,
                new ObjectColumns(Product: (string)price["product"]!, LookupKey: lookupKey, Active: active), cancellationToken);
            await StripeExpand.ApplyAsync(price, p.GetList("expand"), connection, transaction, cancellationToken);
            return price;
        }, cancellationToken);
        return StripeResults.Json(answer);
    }

    /// <summary>Frees <paramref name="lookupKey"/> from the price holding it when <paramref name="transfer"/>, else refuses.</summary>
    private static async Task TakeLookupKeyAsync(
        Microsoft.Data.Sqlite.SqliteConnection connection, Microsoft.Data.Sqlite.SqliteTransaction transaction, string lookupKey, bool transfer,
        CancellationToken cancellationToken)
    {
        await using var find = connection.CreateCommand();
        find.Transaction = transaction;
        find.CommandText = "SELECT data FROM objects WHERE kind = 'price' AND lookup_key = $lookupKey";
        find.Parameters.AddWithValue("$lookupKey", lookupKey);
        if (await find.ExecuteScalarAsync(cancellationToken) is not string json)
        {
            return;
        }

        var holder = JsonNode.Parse(json)!.AsObject();
        if (!transfer)
        {
            throw StripeException.Invalid("lookup_key",
                $"A price (`{holder["id"]}`) already uses that lookup key. Pass transfer_lookup_key=true to move it to the new price.",
                StripeErrorCodes.ResourceAlreadyExists);
        }

        holder["lookup_key"] = null;
        await StripeStore.UpdateObjectAsync(connection, transaction, holder,
            new ObjectColumns(Product: (string?)holder["product"], Active: (bool?)holder["active"]), cancellationToken);
    }

    private static async Task<IResult> Get(string id, HttpContext http, StripeStore store, CancellationToken cancellationToken)
    {
        var p = StripeRequestContext.Get(http).Params;
        p.OnlyAllow("expand");
        var price = await store.GetObjectAsync(id, Kind, cancellationToken) ?? throw StripeException.NoSuch(Kind, id);
        await StripeExpand.ApplyAsync(price, p.GetList("expand"), store, cancellationToken);
        return StripeResults.Json(price);
    }

    private static async Task<IResult> List(HttpContext http, StripeStore store, CancellationToken cancellationToken)
    {
        var p = StripeRequestContext.Get(http).Params;
        p.OnlyAllow([.. StripeLists.Parameters, "lookup_keys", "active", "product", "created", "currency", "type"]);
        var filters = new List<StripeListFilter> { new("kind = 'price'") };
        var lookupKeys = p.GetList("lookup_keys");
        if (lookupKeys.Count > 10)
        {
            throw StripeException.Invalid("lookup_keys", "You may pass at most 10 lookup keys.");
        }

        if (lookupKeys.Count > 0)
        {
            var names = lookupKeys.Select((k, i) => (Name: $"$lookupKey{i}", Value: k)).ToArray();
            filters.Add(new StripeListFilter($"lookup_key IN ({string.Join(", ", names.Select(n => n.Name))})",
                names.ToDictionary(n => n.Name, n => (object)n.Value)));
        }

        if (p.GetBoolean("active") is { } active)
        {
            filters.Add(new StripeListFilter("active = $active", new Dictionary<string, object> { ["$active"] = active ? 1 : 0 }));
        }

        if (p.GetString("product") is { Length: > 0 } product)
        {
            filters.Add(new StripeListFilter("product = $product", new Dictionary<string, object> { ["$product"] = product }));
        }

        if (p.GetString("type") is { Length: > 0 } type && type != "recurring")
        {
            // Every sandbox price is recurring: a one_time filter matches nothing.
            filters.Add(new StripeListFilter("0"));
        }

        if (p.GetString("currency") is { Length: > 0 } currency)
        {
            filters.Add(new StripeListFilter("json_extract(data, '$.currency') = $currency",
                new Dictionary<string, object> { ["$currency"] = currency.ToLowerInvariant() }));
        }

        filters.AddRange(Events.EventsApi.CreatedFilters(p));
        await using var connection = await store.OpenAsync(cancellationToken);
        var page = await StripeLists.PageAsync(connection, "objects", filters, p, "/v1/prices", Kind, cancellationToken);
        await StripeExpand.ApplyAsync(page, p.GetList("expand"), store, cancellationToken);
        return StripeResults.Json(page);
    }
}
