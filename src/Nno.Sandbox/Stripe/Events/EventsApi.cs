using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nno.Sandbox.Stripe.Common;

namespace Nno.Sandbox.Stripe.Events;

/// <summary><c>GET /v1/events</c> (<c>type</c> with <c>*</c> wildcards, <c>types[n]</c>, <c>created[gt|gte|lt|lte]</c>) and <c>GET /v1/events/{id}</c>.</summary>
internal static class EventsApi
{
    public static void Map(RouteGroupBuilder v1)
    {
        var events = v1.MapGroup("/events").WithTags("Stripe events");
        events.MapGet("", List).WithName("StripeListEvents").WithSummary("Lists events of the last 30 days, newest first.");
        events.MapGet("/{id}", Get).WithName("StripeGetEvent").WithSummary("Reads one event.");
    }

    private static async Task<IResult> Get(string id, HttpContext http, StripeStore store, StripeClock clock, CancellationToken cancellationToken)
    {
        var request = StripeRequestContext.Get(http);
        request.Params.OnlyAllow("expand");
        await using var connection = await store.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT data FROM events WHERE id = $id AND created >= $cutoff";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$cutoff", clock.UnixNow - (long)StripeEvents.Retention.TotalSeconds);
        var json = await command.ExecuteScalarAsync(cancellationToken) as string ?? throw StripeException.NoSuch("event", id);
        return StripeResults.Json(System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject());
    }

    private static async Task<IResult> List(HttpContext http, StripeStore store, StripeClock clock, CancellationToken cancellationToken)
    {
        var request = StripeRequestContext.Get(http).Params;
        request.OnlyAllow([.. StripeLists.Parameters, "type", "types", "created"]);
        var filters = new List<StripeListFilter>
        {
            new("created >= $retention", new Dictionary<string, object> { ["$retention"] = clock.UnixNow - (long)StripeEvents.Retention.TotalSeconds }),
        };
        var type = request.GetString("type");
        var types = request.GetList("types");
        if (!string.IsNullOrEmpty(type) && types.Count > 0)
        {
            throw StripeException.Invalid("types", "You may only specify one of these parameters: type, types.");
        }

        if (types.Count > 20)
        {
            throw StripeException.Invalid("types", "You may pass at most 20 event types.");
        }

        if (!string.IsNullOrEmpty(type))
        {
            // Stripe's wildcard: customer.* matches every customer event; GLOB keeps '*' and escapes nothing else we allow.
            if (type.Any(c => c is '?' or '[' or ']'))
            {
                throw StripeException.Invalid("type", $"Invalid event type: {type}");
            }

            filters.Add(new StripeListFilter("type GLOB $type", new Dictionary<string, object> { ["$type"] = type }));
        }
        else if (types.Count > 0)
        {
            var parameters = types.Select((t, i) => (Name: $"$type{i}", Value: t)).ToArray();
            filters.Add(new StripeListFilter(
                $"type IN ({string.Join(", ", parameters.Select(p => p.Name))})",
                parameters.ToDictionary(p => p.Name, p => (object)p.Value)));
        }

        filters.AddRange(CreatedFilters(request));
        await using var connection = await store.OpenAsync(cancellationToken);
        var page = await StripeLists.PageAsync(connection, "events", filters, request, "/v1/events", "event", cancellationToken);
        await StripeExpand.ApplyAsync(page, request.GetList("expand"), store, cancellationToken);
        return StripeResults.Json(page);
    }

    /// <summary><c>created=t</c> or <c>created[gt|gte|lt|lte]=t</c>.</summary>
    internal static IEnumerable<StripeListFilter> CreatedFilters(StripeParams request)
    {
        if (!request.Has("created"))
        {
            yield break;
        }

        var range = request.GetObject("created");
        if (range is null)
        {
            yield return new StripeListFilter("created = $createdEq", new Dictionary<string, object> { ["$createdEq"] = request.GetInteger("created")! });
            yield break;
        }

        range.OnlyAllow("gt", "gte", "lt", "lte");
        foreach (var (name, op) in new[] { ("gt", ">"), ("gte", ">="), ("lt", "<"), ("lte", "<=") })
        {
            if (range.GetInteger(name) is { } value)
            {
                yield return new StripeListFilter($"created {op} $created_{name}", new Dictionary<string, object> { [$"$created_{name}"] = value });
            }
        }
    }
}
