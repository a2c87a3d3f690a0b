using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Nno.Sandbox.Cloudflare.Common;

namespace Nno.Sandbox.Cloudflare.D1;

/// <summary>One statement of a D1 request: SQL (possibly several <c>;</c>-separated statements) and positional params.</summary>
internal sealed record D1Statement(string Sql, IReadOnlyList<JsonNode?> Params);

/// <summary>What one executed statement reports (<c>meta</c>).</summary>
public sealed record D1Meta(bool ChangedDb, long Changes, double Duration, long LastRowId, long RowsRead, long RowsWritten, long SizeAfter);

/// <summary>The rows of one executed statement.</summary>
internal sealed record D1StatementResult(IReadOnlyList<string> Columns, IReadOnlyList<JsonNode?[]> Rows, D1Meta Meta, bool ReadOnly);

/// <summary>
/// Runs D1 SQL on a database's real SQLite file: every statement of the request (batch entries and <c>;</c>-separated
/// statements alike) in one transaction; the first error rolls everything back and becomes 400 code 7500 with SQLite's
/// message. Statements are split by SQLite itself (prepare's tail), so semicolons inside strings are safe.
/// </summary>
internal static class D1Executor
{
    private const int SqliteLimitAttached = 7;
    private const int StmtStatusFullscanStep = 1;

    public static IReadOnlyList<D1StatementResult> Execute(string path, IReadOnlyList<D1Statement> statements, TimeProvider time)
    {
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            // No pool: deleting a database must leave no handle on its file.
            Pooling = false,
        }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        var db = connection.Handle!;
        // D1 refuses ATTACH; a query must never reach another file.
        raw.sqlite3_limit(db, SqliteLimitAttached, 0);
        Exec(db, "PRAGMA busy_timeout = 30000");
        Exec(db, "BEGIN IMMEDIATE");
        var results = new List<(IReadOnlyList<string> Columns, List<JsonNode?[]> Rows, long Changes, double Duration, long LastRowId, long RowsRead, bool ReadOnly)>();
        try
        {
            foreach (var statement in statements)
            {
                var remaining = statement.Sql;
                while (!string.IsNullOrWhiteSpace(remaining))
                {
                    var started = time.GetTimestamp();
                    var rc = raw.sqlite3_prepare_v2(db, remaining, out var stmt, out var tail);
                    if (rc != raw.SQLITE_OK)
                    {
                        stmt?.Dispose();
                        throw QueryError(db, rc);
                    }

                    using (stmt)
                    {
                        remaining = tail;
                        if (stmt is null || stmt.IsInvalid)
                        {
                            // Only whitespace or a comment was left.
                            continue;
                        }

                        Bind(stmt, statement.Params);
                        var readOnly = raw.sqlite3_stmt_readonly(stmt) != 0;
                        var count = raw.sqlite3_column_count(stmt);
                        var columns = Enumerable.Range(0, count).Select(i => raw.sqlite3_column_name(stmt, i).utf8_to_string()).ToArray();
                        var rows = new List<JsonNode?[]>();
                        while ((rc = raw.sqlite3_step(stmt)) == raw.SQLITE_ROW)
                        {
                            var row = new JsonNode?[count];
                            for (var i = 0; i < count; i++)
                            {
                                row[i] = Read(stmt, i);
                            }

                            rows.Add(row);
                        }

                        if (rc != raw.SQLITE_DONE)
                        {
                            throw QueryError(db, rc);
                        }

                        var changes = readOnly ? 0 : raw.sqlite3_changes(db);
                        var scanned = raw.sqlite3_stmt_status(stmt, StmtStatusFullscanStep, 0);
                        results.Add((columns, rows, changes, time.GetElapsedTime(started).TotalMilliseconds,
                            raw.sqlite3_last_insert_rowid(db), Math.Max(rows.Count, scanned), readOnly));
                    }
                }
            }

            Exec(db, "COMMIT");
        }
        catch
        {
            if (raw.sqlite3_get_autocommit(db) == 0)
            {
                Exec(db, "ROLLBACK");
            }

            throw;
        }

        var size = SizeOf(connection);
        return results.Select(r => new D1StatementResult(r.Columns, r.Rows,
            new D1Meta(!r.ReadOnly, r.Changes, r.Duration, r.LastRowId, r.RowsRead, r.ReadOnly ? 0 : r.Changes, size), r.ReadOnly)).ToArray();
    }

    /// <summary>Size and table count of a database file (0 when it does not exist yet).</summary>
    public static (long Size, int Tables) Describe(string path)
    {
        if (!File.Exists(path))
        {
            return (0, 0);
        }

        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'";
        var tables = Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        return (SizeOf(connection), tables);
    }

    private static long SizeOf(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Bind(sqlite3_stmt stmt, IReadOnlyList<JsonNode?> parameters)
    {
        var wanted = raw.sqlite3_bind_parameter_count(stmt);
        if (wanted == 0)
        {
            return;
        }

        if (wanted != parameters.Count)
        {
            throw CloudflareException.BadRequest(
                $"Wrong number of parameter bindings for SQL query (expected {wanted}, got {parameters.Count}): SQLITE_RANGE", CloudflareErrorCodes.D1QueryError);
        }

        for (var i = 0; i < wanted; i++)
        {
            var index = i + 1;
            switch (parameters[i])
            {
                case null:
                    raw.sqlite3_bind_null(stmt, index);
                    break;
                case JsonValue value when value.TryGetValue<bool>(out var flag):
                    raw.sqlite3_bind_int64(stmt, index, flag ? 1 : 0);
                    break;
                case JsonValue value when value.TryGetValue<string>(out var text):
                    raw.sqlite3_bind_text(stmt, index, text);
                    break;
                case JsonValue value when value.TryGetValue<long>(out var integer):
                    raw.sqlite3_bind_int64(stmt, index, integer);
                    break;
                case JsonValue value when value.TryGetValue<double>(out var real):
                    raw.sqlite3_bind_double(stmt, index, real);
                    break;
                default:
                    throw CloudflareException.BadRequest("params must be strings, numbers, booleans or null.", CloudflareErrorCodes.D1QueryError);
            }
        }
    }

    private static JsonNode? Read(sqlite3_stmt stmt, int i) => raw.sqlite3_column_type(stmt, i) switch
    {
        raw.SQLITE_INTEGER => JsonValue.Create(raw.sqlite3_column_int64(stmt, i)),
        raw.SQLITE_FLOAT => JsonValue.Create(raw.sqlite3_column_double(stmt, i)),
        raw.SQLITE_TEXT => JsonValue.Create(raw.sqlite3_column_text(stmt, i).utf8_to_string()),
        // D1 returns blobs as arrays of byte values.
        raw.SQLITE_BLOB => new JsonArray(raw.sqlite3_column_blob(stmt, i).ToArray().Select(b => (JsonNode?)JsonValue.Create(b)).ToArray()),
        _ => null,
    };

    private static void Exec(sqlite3 db, string sql)
    {
        var rc = raw.sqlite3_exec(db, sql);
        if (rc != raw.SQLITE_OK)
        {
            throw QueryError(db, rc);
        }
    }

    private static CloudflareException QueryError(sqlite3 db, int rc)
    {
        var message = raw.sqlite3_errmsg(db).utf8_to_string();
        var name = (rc & 0xff) switch
        {
            raw.SQLITE_ERROR => "SQLITE_ERROR",
            raw.SQLITE_CONSTRAINT => "SQLITE_CONSTRAINT",
            raw.SQLITE_MISMATCH => "SQLITE_MISMATCH",
            raw.SQLITE_RANGE => "SQLITE_RANGE",
            raw.SQLITE_TOOBIG => "SQLITE_TOOBIG",
            raw.SQLITE_BUSY => "SQLITE_BUSY",
            raw.SQLITE_READONLY => "SQLITE_READONLY",
            raw.SQLITE_AUTH => "SQLITE_AUTH",
            raw.SQLITE_FULL => "SQLITE_FULL",
            _ => $"SQLITE_{rc}",
        };
        return CloudflareException.BadRequest($"{message}: {name}", CloudflareErrorCodes.D1QueryError);
    }
}
