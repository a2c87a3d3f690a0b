using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Nno.Sandbox.Stripe.Common;

/// <summary>A filter of a list query: an SQL condition on the table's columns and its parameters.</summary>
public sealed record StripeListFilter(string Sql, IReadOnlyDictionary<string, object> Parameters)
{
    public StripeListFilter(string sql)
        : this(sql, new Dictionary<string, object>())
    {
    }
}

/// <summary>
/// Stripe lists: <c>{object:"list", data, has_more, url}</c>, newest first, <c>limit</c> 1–100 (default 10),
/// <c>starting_after</c> (older than that object) or <c>ending_before</c> (newer than it). Keyset on the table's
/// <c>seq</c> (creation order), so a page costs one indexed query.
/// </summary>
public static class StripeLists
{
    /// <summary>The list parameters every list endpoint accepts besides its filters.</summary>
    public static readonly string[] Parameters = ["limit", "starting_after", "ending_before", "expand"];

    /// <summary>
    /// Reads one page from <paramref name="table"/> (<c>objects</c> or <c>events</c>) under <paramref name="filters"/>.
    /// <paramref name="kindName"/> names the resource in a 404 for an unknown cursor id.
    /// </summary>
    public static async Task<JsonObject> PageAsync(
        SqliteConnection connection, string table, IReadOnlyList<StripeListFilter> filters, StripeParams request, string url, string kindName,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(filters);
        ArgumentNullException.ThrowIfNull(request);
        var limit = request.GetInteger("limit") ?? 10;
        if (limit is < 1 or > 100)
        {
            throw StripeException.Invalid("limit", "Invalid limit: must be between 1 and 100", StripeErrorCodes.ParameterInvalidInteger);
        }

        var after = Blank(request.GetString("starting_after"));
        var before = Blank(request.GetString("ending_before"));
        if (after is not null && before is not null)
        {
            throw StripeException.Invalid("ending_before", "You may only specify one of these parameters: starting_after, ending_before.");
        }

        await using var command = connection.CreateCommand();
        var conditions = new List<string>();
        foreach (var filter in filters)
        {
            conditions.Add($"({filter.Sql})");
            foreach (var (name, value) in filter.Parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

        }

        if ((after ?? before) is { } cursorId)
        {
            var seq = await SeqOfAsync(connection, table, filters, cursorId, cancellationToken)
                ?? throw StripeException.NoSuch(kindName, cursorId, after is not null ? "starting_after" : "ending_before");
            conditions.Add(after is not null ? "seq < $cursorSeq" : "seq > $cursorSeq");
            command.Parameters.AddWithValue("$cursorSeq", seq);
        }

        var where = conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions);
        var order = before is not null ? "ASC" : "DESC";
        command.CommandText = $"SELECT data FROM {table} {where} ORDER BY seq {order} LIMIT $take";
        command.Parameters.AddWithValue("$take", limit + 1);
        var rows = new List<JsonNode>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(JsonNode.Parse(reader.GetString(0))!);
            }
        }

        var hasMore = rows.Count > limit;
        var page = rows.Take((int)limit).ToList();
        if (before is not null)
        {
            page.Reverse();
        }

        return new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray(page.ToArray()),
            ["has_more"] = hasMore,
            ["url"] = url,
        };
    }

    private static async Task<long?> SeqOfAsync(
        SqliteConnection connection, string table, IReadOnlyList<StripeListFilter> filters, string id, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        // The cursor must be an object of the same list (its kind filter), not any id.
        var kindFilter = filters.FirstOrDefault(f => f.Sql.StartsWith("kind =", StringComparison.Ordinal));
        command.CommandText = $"SELECT seq FROM {table} WHERE id = $cursorId" + (kindFilter is null ? "" : $" AND {kindFilter.Sql}");
        command.Parameters.AddWithValue("$cursorId", id);
        if (kindFilter is not null)
        {
            foreach (var (name, value) in kindFilter.Parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }
        }

        return await command.ExecuteScalarAsync(cancellationToken) is long seq ? seq : null;
    }

    private static string? Blank(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
