using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Nno.Gateway.Tests.Support;

/// <summary>One captured log entry with its structured fields and scope fields.</summary>
public sealed record CapturedLog(string Service, string Category, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Fields, string? Exception)
{
    /// <summary>Everything the line would carry, as text (for secret scans).</summary>
    public string AllText => string.Join('\n', [Message, .. Fields.Select(f => $"{f.Key}={f.Value}"), Exception ?? ""]);

    public object? Field(string name) => Fields.TryGetValue(name, out var value) ? value : null;
}

/// <summary>Captures every log entry of the platform's applications.</summary>
public sealed class LogSink
{
    private readonly ConcurrentQueue<CapturedLog> _entries = new();

    public IReadOnlyList<CapturedLog> Entries => _entries.ToArray();

    public ILoggerProvider CreateProvider(string service) => new Provider(this, service);

    private void Add(CapturedLog entry) => _entries.Enqueue(entry);

    private sealed class Provider(LogSink sink, string service) : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private void Write<TState>(string category, LogLevel level, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = new Dictionary<string, object?>(StringComparer.Ordinal);
            _scopes.ForEachScope((scope, f) =>
            {
                if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                {
                    foreach (var (key, value) in pairs)
                    {
                        f["scope:" + key] = value;
                    }
                }
                else if (scope is not null)
                {
                    f["scope:" + scope.GetType().Name] = scope.ToString();
                }
            }, fields);
            if (state is IEnumerable<KeyValuePair<string, object?>> statePairs)
            {
                foreach (var (key, value) in statePairs)
                {
                    fields[key] = value;
                }
            }

            sink.Add(new CapturedLog(service, category, level, formatter(state, exception), fields, exception?.ToString()));
        }

        private sealed class Logger(Provider provider, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => provider._scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                provider.Write(category, logLevel, state, exception, formatter);
        }
    }
}
