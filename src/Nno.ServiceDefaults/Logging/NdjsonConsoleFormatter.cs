using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Nno.ServiceDefaults.Logging;

/// <summary>Options of <see cref="NdjsonConsoleFormatter"/>.</summary>
public sealed class NdjsonFormatterOptions : ConsoleFormatterOptions
{
    /// <summary>The service name written in every line.</summary>
    public string Service { get; set; } = "nno";
}

/// <summary>
/// One JSON object per line: <c>timestamp</c>, <c>level</c>, <c>service</c>, <c>requestId</c>, <c>traceId</c>,
/// <c>message</c>, then the structured fields of the message and of its scopes (00-system §7).
/// </summary>
public sealed class NdjsonConsoleFormatter : ConsoleFormatter, IDisposable
{
    public const string FormatterName = "nno-ndjson";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };
    private readonly IDisposable? _reload;
    private NdjsonFormatterOptions _options;

    public NdjsonConsoleFormatter(IOptionsMonitor<NdjsonFormatterOptions> options)
        : base(FormatterName)
    {
        _options = options.CurrentValue;
        _reload = options.OnChange(o => _options = o);
    }

    /// <summary>camelCase forms of the (finite set of) structured-logging names seen so far.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> CamelNames = new(StringComparer.Ordinal);

    /// <summary>Names that are never written as fields (secrets by name).</summary>
    private static readonly HashSet<string> Redacted = new(StringComparer.OrdinalIgnoreCase)
    {
        "authorization", "cookie", "set-cookie", "password", "token", "secret", "apiKey", "key", "clientSecret",
    };

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        // One line per request on hot paths (the gateway's access log): buffers, writer and scope list are reused per
        // thread; a nested call (a value whose ToString logs) gets fresh ones.
        var cache = t_cache is { Busy: false } cached ? cached : (t_cache = new LineBuffers());
        cache.Busy = true;
        try
        {
            WriteLine(in logEntry, message, scopeProvider, textWriter, cache);
        }
        finally
        {
            cache.Busy = false;
            cache.Reset();
        }
    }

    [ThreadStatic]
    private static LineBuffers? t_cache;

    private void WriteLine<TState>(in LogEntry<TState> logEntry, string? message, IExternalScopeProvider? scopeProvider, TextWriter textWriter, LineBuffers cache)
    {
        var writer = cache.Writer;
        writer.WriteStartObject();
        Span<char> timestamp = stackalloc char[24];
        DateTimeOffset.UtcNow.TryFormat(timestamp, out var written, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        writer.WriteString("timestamp", timestamp[..written]);
        writer.WriteString("level", LevelName(logEntry.LogLevel));
        writer.WriteString("service", _options.Service);

        scopeProvider?.ForEachScope(static (scope, collector) => collector.Add(scope), cache);
        writer.WriteString("requestId", cache.RequestId);
        if (cache.TraceId is { } traceId)
        {
            writer.WriteString("traceId", traceId);
        }
        else if (System.Diagnostics.Activity.Current is { } activity)
        {
            writer.WriteString("traceId", activity.TraceId.ToHexString());
        }
        else
        {
            writer.WriteNull("traceId");
        }

        writer.WriteString("message", message ?? logEntry.Exception?.Message);
        writer.WriteString("category", logEntry.Category);
        if (logEntry.EventId.Id != 0)
        {
            writer.WriteNumber("eventId", logEntry.EventId.Id);
        }

        if (logEntry.State is IReadOnlyList<KeyValuePair<string, object?>> state)
        {
            for (var i = 0; i < state.Count; i++)
            {
                var pair = state[i];
                if (pair.Key != "{OriginalFormat}")
                {
                    WriteField(writer, pair.Key, pair.Value);
                }
            }
        }

        foreach (var pair in cache.Extra)
        {
            WriteField(writer, pair.Key, pair.Value);
        }

        if (logEntry.Exception is not null)
        {
            // Exception type and message for operators; the stack trace stays in the log, never in a response.
            writer.WriteString("exception", logEntry.Exception.ToString());
        }

        writer.WriteEndObject();
        writer.Flush();

        var bytes = cache.Buffer.WrittenSpan;
        var chars = cache.Chars(System.Text.Encoding.UTF8.GetMaxCharCount(bytes.Length) + 1);
        var count = System.Text.Encoding.UTF8.GetChars(bytes, chars);
        chars[count++] = '\n';
        textWriter.Write(chars.AsSpan(0, count));
    }

    /// <summary>Per-thread buffers of one log line.</summary>
    private sealed class LineBuffers
    {
        private char[] _chars = new char[1024];

        public LineBuffers() => Writer = new Utf8JsonWriter(Buffer, WriterOptions);

        public bool Busy { get; set; }

        public System.Buffers.ArrayBufferWriter<byte> Buffer { get; } = new(1024);

        public Utf8JsonWriter Writer { get; }

        public List<KeyValuePair<string, object?>> Extra { get; } = [];

        public string? RequestId { get; private set; }

        public string? TraceId { get; private set; }

        public char[] Chars(int atLeast)
        {
            if (_chars.Length < atLeast)
            {
                _chars = new char[Math.Max(atLeast, _chars.Length * 2)];
            }

            return _chars;
        }

        /// <summary>Collects a scope's fields: the request and trace ids as top-level fields, the rest as extras.</summary>
        public void Add(object? scope)
        {
            if (scope is RequestContext.RequestIdMiddleware.RequestScope ids)
            {
                RequestId = ids.Ids.RequestId;
                TraceId = ids.Ids.TraceId;
                return;
            }

            if (scope is not IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                return;
            }

            foreach (var pair in pairs)
            {
                switch (pair.Key)
                {
                    case "requestId":
                        RequestId = pair.Value?.ToString();
                        break;
                    case "traceId":
                        TraceId = pair.Value?.ToString();
                        break;
                    case "{OriginalFormat}" or "RequestId" or "RequestPath" or "ConnectionId" or "SpanId" or "TraceId" or "ParentId":
                        break;
                    default:
                        Extra.Add(pair);
                        break;
                }
            }
        }

        public void Reset()
        {
            Buffer.ResetWrittenCount();
            Writer.Reset(Buffer);
            Extra.Clear();
            RequestId = null;
            TraceId = null;
        }
    }

    private static void WriteField(Utf8JsonWriter writer, string key, object? value)
    {
        if (key.Length == 0)
        {
            return;
        }

        var name = char.IsLower(key[0]) ? key
            : CamelNames.TryGetValue(key, out var known) ? known
            : CamelNames.Count < 4096 ? CamelNames.GetOrAdd(key, static k => char.ToLowerInvariant(k[0]) + k[1..])
            : char.ToLowerInvariant(key[0]) + key[1..];
        if (Redacted.Contains(name) || name is "timestamp" or "level" or "service" or "message" or "requestId" or "traceId")
        {
            return;
        }

        switch (value)
        {
            case null:
                writer.WriteNull(name);
                break;
            case bool b:
                writer.WriteBoolean(name, b);
                break;
            case int or long or short or byte or uint or ulong or ushort:
                writer.WriteNumber(name, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case double or float or decimal:
                writer.WriteNumber(name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            default:
                writer.WriteString(name, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "error",
        LogLevel.Critical => "fatal",
        _ => "none",
    };

    public void Dispose() => _reload?.Dispose();
}
