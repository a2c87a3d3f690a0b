using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nno.Sandbox.Cloudflare.Common;
using Nno.Sandbox.Cloudflare.R2;

namespace Nno.Sandbox.Cloudflare.Analytics;

/// <summary>One dataset the analytics emulator answers: its resource dimension, its aggregate block and metrics.</summary>
internal sealed record AnalyticsDataset(string Name, string Dimension, string Block, IReadOnlyList<string> Metrics);

/// <summary>
/// Cloudflare's GraphQL Analytics API, reduced to what NNO reads (provisioning.md §5.1): <c>POST /graphql</c> answering
/// <c>{data, errors}</c> without the envelope, only <c>viewer.accounts(filter:{accountTag})</c> with five datasets,
/// filters <c>date_geq</c>/<c>date_leq</c> (and the dataset's resource dimension), <c>limit</c> and <c>orderBy</c>.
/// Values are the usage counters (D1 queries, KV and R2 calls, admin-injected usage) plus, for R2 storage, today's
/// bucket contents. Anything else is a GraphQL error.
/// </summary>
internal static class AnalyticsApi
{
    public const int MaxLimit = 10_000;

    public static IReadOnlyList<AnalyticsDataset> Datasets { get; } =
    [
        new("workersInvocationsAdaptive", "scriptName", "sum", ["requests", "errors", "subrequests", "cpuTimeUs", "wallTime"]),
        new("d1AnalyticsAdaptiveGroups", "databaseId", "sum", ["readQueries", "writeQueries", "rowsRead", "rowsWritten"]),
        new("r2StorageAdaptiveGroups", "bucketName", "max", ["objectCount", "payloadSize", "metadataSize", "uploadCount"]),
        new(R2Store.OperationsDataset, "bucketName", "sum", ["requests"]),
        new(Kv.KvStore.OperationsDataset, "namespaceId", "sum", ["requests"]),
    ];

    public static CloudflareArea Area { get; } = new()
    {
        Name = "Analytics",
        Map = groups => groups.Api.MapPost("/graphql", HandleAsync)
            .WithName("CfGraphql").WithSummary("GraphQL Analytics: viewer.accounts datasets from the usage counters.").WithTags("Cloudflare Analytics"),
    };

    private static async Task<IResult> HandleAsync(HttpRequest request, CloudflareState state, CloudflareUsage usage, R2Store r2, CancellationToken cancellationToken)
    {
        JsonObject body;
        try
        {
            body = await CloudflareRequestBody.ReadObjectAsync(request, cancellationToken);
        }
        catch (CloudflareException error)
        {
            return Answer(null, error.Message, error.Status);
        }

        if (body["query"] is not JsonValue queryValue || !queryValue.TryGetValue<string>(out var query))
        {
            return Answer(null, "The request needs a query string.", 400);
        }

        if (body["variables"] is not (null or JsonObject))
        {
            return Answer(null, "variables must be an object.", 400);
        }

        try
        {
            var operation = GraphQlParser.Parse(query);
            var executor = new Executor(operation, body["variables"] as JsonObject, state, usage, r2);
            return Answer(await executor.RunAsync(cancellationToken), null, 200);
        }
        catch (GraphQlException error)
        {
            return Answer(null, error.Message, 200);
        }
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ContentHttpResult Answer(JsonObject? data, string? error, int status)
    {
        var answer = new JsonObject
        {
            ["data"] = data,
            ["errors"] = error is null ? null : new JsonArray(new JsonObject { ["message"] = error, ["path"] = null, ["extensions"] = new JsonObject { ["code"] = "sandbox" } }),
        };
        return TypedResults.Content(answer.ToJsonString(), "application/json", statusCode: status);
    }

    private sealed class Executor(GqlOperation operation, JsonObject? variables, CloudflareState state, CloudflareUsage usage, R2Store r2)
    {
        public async Task<JsonObject> RunAsync(CancellationToken cancellationToken)
        {
            var data = new JsonObject();
            foreach (var field in operation.Selections)
            {
                if (field.Name != "viewer" || field.Arguments.Count > 0)
                {
                    throw new GraphQlException($"Unknown field '{field.Name}' on the query root; only viewer is served.");
                }

                var viewer = new JsonObject();
                foreach (var sub in field.Selections)
                {
                    if (sub.Name != "accounts")
                    {
                        throw new GraphQlException($"Unknown field '{sub.Name}' on viewer; only accounts is served.");
                    }

                    viewer[sub.ResponseKey] = new JsonArray(await AccountAsync(sub, cancellationToken));
                }

                data[field.ResponseKey] = viewer;
            }

            return data;
        }

        private async Task<JsonObject> AccountAsync(GqlField accounts, CancellationToken cancellationToken)
        {
            var filter = Argument(accounts, "filter") as JsonObject ?? throw new GraphQlException("accounts needs filter: {accountTag}.");
            if (filter.Count != 1 || filter["accountTag"]?.GetValue<string>() is not { } tag)
            {
                throw new GraphQlException("accounts takes exactly filter: {accountTag: \"…\"}.");
            }

            if (tag != state.AccountId)
            {
                throw new GraphQlException($"Not authorized for account {tag}.");
            }

            var account = new JsonObject();
            foreach (var node in accounts.Selections)
            {
                var dataset = Datasets.FirstOrDefault(d => d.Name == node.Name)
                    ?? throw new GraphQlException($"Unknown dataset '{node.Name}'; served: {string.Join(", ", Datasets.Select(d => d.Name))}.");
                account[node.ResponseKey] = await DatasetAsync(dataset, node, cancellationToken);
            }

            return account;
        }

        private async Task<JsonArray> DatasetAsync(AnalyticsDataset dataset, GqlField node, CancellationToken cancellationToken)
        {
            foreach (var argument in node.Arguments.Where(a => a.Key is not ("limit" or "filter" or "orderBy")))
            {
                throw new GraphQlException($"Unknown argument '{argument.Key}' on {dataset.Name}.");
            }

            var limit = Argument(node, "limit") switch
            {
                null => MaxLimit,
                JsonValue v when v.TryGetValue<long>(out var n) && n is >= 1 and <= MaxLimit => (int)n,
                _ => throw new GraphQlException($"limit must be an integer from 1 to {MaxLimit}."),
            };
            var (from, to, only) = ReadFilter(dataset, Argument(node, "filter"));

            // Selected output: dimensions and metrics, in query order.
            var wantDate = false;
            var wantDimension = false;
            foreach (var part in node.Selections)
            {
                if (part.Name == "dimensions")
                {
                    foreach (var d in part.Selections)
                    {
                        wantDate |= d.Name == "date";
                        wantDimension |= d.Name == dataset.Dimension;
                        if (d.Name != "date" && d.Name != dataset.Dimension)
                        {
                            throw new GraphQlException($"Unknown dimension '{d.Name}' on {dataset.Name}; served: date, {dataset.Dimension}.");
                        }
                    }
                }
                else if (part.Name == dataset.Block)
                {
                    foreach (var m in part.Selections.Where(m => !dataset.Metrics.Contains(m.Name)))
                    {
                        throw new GraphQlException($"Unknown field '{m.Name}' in {dataset.Block} of {dataset.Name}; served: {string.Join(", ", dataset.Metrics)}.");
                    }
                }
                else
                {
                    throw new GraphQlException($"Unknown field '{part.Name}' on {dataset.Name}; served: {dataset.Block}, dimensions.");
                }
            }

            var rows = (await usage.ReadAsync(dataset.Name, from, to, cancellationToken)).ToList();
            var today = DateOnly.FromDateTime(state.Now.UtcDateTime);
            if (dataset.Name == "r2StorageAdaptiveGroups" && today >= from && today <= to)
            {
                var day = today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                foreach (var (bucket, objects, bytes) in await r2.StorageAsync(cancellationToken))
                {
                    rows.Add(new CloudflareUsageRow(day, dataset.Name, bucket, "objectCount", objects));
                    rows.Add(new CloudflareUsageRow(day, dataset.Name, bucket, "payloadSize", bytes));
                }
            }

            var groups = rows
                .Where(r => only is null || r.Dimension == only)
                .GroupBy(r => (Date: wantDate ? r.Date : "", Dimension: wantDimension ? r.Dimension : ""))
                .Select(g => (g.Key, Values: dataset.Metrics.ToDictionary(m => m, m => Aggregate(dataset, g.Where(r => r.Metric == m)))))
                .ToList();
            groups = Order(dataset, node, groups);
            var result = new JsonArray();
            foreach (var (key, values) in groups.Take(limit))
            {
                var item = new JsonObject();
                foreach (var part in node.Selections)
                {
                    var inner = new JsonObject();
                    foreach (var f in part.Selections)
                    {
                        inner[f.ResponseKey] = part.Name == "dimensions"
                            ? (f.Name == "date" ? key.Date : key.Dimension)
                            : Number(values[f.Name]);
                    }

                    item[part.ResponseKey] = inner;
                }

                result.Add(item);
            }

            return result;
        }

        // Sums add up; a "max" metric (storage) adds resources of one day, then takes the largest day.
        private static double Aggregate(AnalyticsDataset dataset, IEnumerable<CloudflareUsageRow> rows) =>
            dataset.Block == "sum"
                ? rows.Sum(r => r.Value)
                : rows.GroupBy(r => r.Date).Select(d => d.Sum(r => r.Value)).DefaultIfEmpty(0).Max();

        private List<((string Date, string Dimension) Key, Dictionary<string, double> Values)> Order(
            AnalyticsDataset dataset, GqlField node, List<((string Date, string Dimension) Key, Dictionary<string, double> Values)> groups)
        {
            var orderBy = Argument(node, "orderBy") switch
            {
                null => [],
                JsonArray list => list.Select(i => i?.GetValue<string>() ?? "").ToArray(),
                JsonValue single when single.TryGetValue<string>(out var s) => [s],
                _ => throw new GraphQlException("orderBy must be a list of enum values."),
            };
            IOrderedEnumerable<((string Date, string Dimension) Key, Dictionary<string, double> Values)>? ordered = null;
            foreach (var term in orderBy.Append("date_ASC").Append(dataset.Dimension + "_ASC"))
            {
                var descending = term.EndsWith("_DESC", StringComparison.Ordinal);
                if (!descending && !term.EndsWith("_ASC", StringComparison.Ordinal))
                {
                    throw new GraphQlException($"Unknown orderBy value '{term}'.");
                }

                var field = term[..term.LastIndexOf('_')];
                Func<((string Date, string Dimension) Key, Dictionary<string, double> Values), IComparable> selector = field switch
                {
                    "date" => g => g.Key.Date,
                    _ when field == dataset.Dimension => g => g.Key.Dimension,
                    _ when field.StartsWith(dataset.Block + "_", StringComparison.Ordinal) && dataset.Metrics.Contains(field[(dataset.Block.Length + 1)..]) =>
                        g => g.Values[field[(dataset.Block.Length + 1)..]],
                    _ => throw new GraphQlException($"Unknown orderBy value '{term}' on {dataset.Name}."),
                };
                ordered = ordered is null
                    ? (descending ? groups.OrderByDescending(selector) : groups.OrderBy(selector))
                    : (descending ? ordered.ThenByDescending(selector) : ordered.ThenBy(selector));
            }

            return ordered!.ToList();
        }

        private static (DateOnly From, DateOnly To, string? Only) ReadFilter(AnalyticsDataset dataset, JsonNode? filter)
        {
            var from = DateOnly.MinValue;
            var to = DateOnly.MaxValue;
            string? only = null;
            if (filter is null)
            {
                return (from, to, only);
            }

            if (filter is not JsonObject fields)
            {
                throw new GraphQlException($"filter on {dataset.Name} must be an object.");
            }

            foreach (var (name, value) in fields)
            {
                var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new GraphQlException($"filter.{name} must be a string.");
                switch (name)
                {
                    case "date_geq": from = Date(text, name); break;
                    case "date_leq": to = Date(text, name); break;
                    case "date": from = to = Date(text, name); break;
                    case var d when d == dataset.Dimension: only = text; break;
                    default: throw new GraphQlException($"Unknown filter '{name}' on {dataset.Name}; served: date_geq, date_leq, date, {dataset.Dimension}.");
                }
            }

            return (from, to, only);
        }

        private static DateOnly Date(string text, string name) =>
            DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
                ? date
                : throw new GraphQlException($"{name} must be a date (yyyy-MM-dd).");

        private static JsonValue Number(double value) =>
            value == Math.Floor(value) && Math.Abs(value) < 9e15 ? JsonValue.Create((long)value) : JsonValue.Create(value);

        /// <summary>An argument's value with variables resolved, as JSON (null when absent).</summary>
        private JsonNode? Argument(GqlField field, string name) =>
            field.Arguments.FirstOrDefault(a => a.Key == name).Value is { } value ? Resolve(value) : null;

        private JsonNode? Resolve(GqlValue value) => value switch
        {
            GqlVariable v => variables is not null && variables.TryGetPropertyValue(v.Name, out var given)
                ? given?.DeepClone()
                : operation.VariableDefaults.TryGetValue(v.Name, out var fallback)
                    ? Resolve(fallback)
                    : throw new GraphQlException($"Variable ${v.Name} is not provided."),
            GqlScalar { Value: null } => null,
            GqlScalar s => JsonValue.Create(s.Value),
            GqlEnum e => JsonValue.Create(e.Name),
            GqlList l => new JsonArray(l.Items.Select(Resolve).ToArray()),
            GqlObject o => new JsonObject(o.Fields.Select(f => KeyValuePair.Create(f.Key, Resolve(f.Value)))),
            _ => throw new GraphQlException("Unsupported value."),
        };
    }
}
