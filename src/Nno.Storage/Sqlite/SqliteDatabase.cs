using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Nno.Storage.Sqlite;

/// <summary>
/// One SQLite file shared by many threads: a bounded set of open connections, each with its prepared statements kept
/// for reuse. WAL mode lets readers run beside the one writer; the busy timeout makes a writer wait for another
/// writer's lock, including one in another application of the same process or another process.
/// </summary>
internal sealed class SqliteDatabase : IDisposable
{
    private readonly string _connectionString;
    private readonly string _pragmas;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentBag<SqliteSession> _idle = [];
    private readonly int _maxConnections;
    private int _disposed;

    /// <param name="path">The file (its directory is created).</param>
    /// <param name="schema">Statements run once, in a write transaction, when the file is opened.</param>
    /// <param name="synchronous">SQLite's <c>synchronous</c> level: Full survives power loss, Normal a process crash.</param>
    /// <param name="busyTimeout">How long a writer waits for another writer's lock.</param>
    /// <param name="maxConnections">Connections kept open at most.</param>
    public SqliteDatabase(string path, string schema, SqliteSynchronous synchronous, TimeSpan busyTimeout, int maxConnections)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            // Connections are kept open by this class; the driver's pool would only delay closing the file on dispose.
            Pooling = false,
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(busyTimeout.TotalSeconds)),
        }.ToString();
        _pragmas = $"PRAGMA busy_timeout={(int)busyTimeout.TotalMilliseconds}; PRAGMA synchronous={(synchronous == SqliteSynchronous.Full ? "FULL" : "NORMAL")}; PRAGMA foreign_keys=ON;";
        _maxConnections = maxConnections;
        _slots = new SemaphoreSlim(maxConnections, maxConnections);

        var first = Open();
        try
        {
            // WAL is a property of the file; switching needs no transaction and is a no-op once set.
            first.Execute("PRAGMA journal_mode=WAL;");
            using (var tx = first.Connection.BeginTransaction())
            {
                first.Execute(schema, tx);
                tx.Commit();
            }

            _idle.Add(first);
        }
        catch
        {
            first.Dispose();
            throw;
        }
    }

    public string Path { get; }

    /// <summary>Runs <paramref name="work"/> on a connection of its own (never shared with another thread meanwhile).</summary>
    public async Task<T> RunAsync<T>(Func<SqliteSession, T> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _slots.WaitAsync(cancellationToken);
        SqliteSession? session = null;
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            cancellationToken.ThrowIfCancellationRequested();
            session = _idle.TryTake(out var idle) ? idle : Open();
            var result = work(session);
            Return(session);
            session = null;
            return result;
        }
        finally
        {
            // A session whose work failed may hold a half-used statement or transaction: close it rather than reuse it.
            session?.Dispose();
            _slots.Release();
        }
    }

    private void Return(SqliteSession session)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            session.Dispose();
            return;
        }

        _idle.Add(session);
    }

    private SqliteSession Open()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            var session = new SqliteSession(connection);
            session.Execute(_pragmas);
            return session;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Wait for work in progress so no connection outlives the store (bounded: work is short statements).
        var taken = 0;
        for (var i = 0; i < _maxConnections; i++)
        {
            if (_slots.Wait(TimeSpan.FromSeconds(30)))
            {
                taken++;
            }
        }

        while (_idle.TryTake(out var session))
        {
            session.Dispose();
        }

        // Hand the slots back instead of disposing the semaphore: a caller still waiting for one then gets
        // ObjectDisposedException rather than waiting forever. The semaphore never allocated a wait handle.
        if (taken > 0)
        {
            _slots.Release(taken);
        }
    }
}

/// <summary>An open connection with its prepared statements, used by one thread at a time.</summary>
internal sealed class SqliteSession(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    public SqliteConnection Connection { get; } = connection;

    /// <summary>The prepared statement for <paramref name="sql"/> (compiled on first use, then reused), with parameters cleared.</summary>
    public SqliteCommand Command(string sql, SqliteTransaction? transaction = null)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = Connection.CreateCommand();
#pragma warning disable CA2100 // Every statement is a constant of this assembly; values are always bound as parameters.
            command.CommandText = sql;
#pragma warning restore CA2100
            _commands[sql] = command;
        }

        command.Transaction = transaction;
        command.Parameters.Clear();
        return command;
    }

    public int Execute(string sql, SqliteTransaction? transaction = null)
    {
        using var command = Connection.CreateCommand();
#pragma warning disable CA2100 // Constant schema and pragma statements of this assembly.
        command.CommandText = sql;
#pragma warning restore CA2100
        command.Transaction = transaction;
        return command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
        Connection.Dispose();
    }
}

/// <summary>Small helpers for binding parameters and reading columns.</summary>
internal static class SqliteParameters
{
    public static SqliteCommand With(this SqliteCommand command, string name, object? value)
    {
        command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    public static string? GetNullableString(this SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static long? GetNullableInt64(this SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    public static DateTimeOffset? ToTime(long? unixMs) => unixMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
}
