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

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            var timestamp = DateTimeOffset.UtcNow;
            writer.WriteString("timestamp", timestamp.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteString("level", LevelName(logEntry.LogLevel));
            writer.WriteString("service", _options.Service);

            string? requestId = null;
            string? traceId = null;
            var extra = new List<KeyValuePair<string, object?>>();
            scopeProvider?.ForEachScope((scope, _) =>
            {
                if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                {
                    foreach (var pair in pairs)
                    {
                        switch (pair.Key)
                        {
                            case "requestId":
                                requestId = pair.Value?.ToString();
                                break;
                            case "traceId":
                                traceId = pair.Value?.ToString();
                                break;
                            case "{OriginalFormat}":
                                break;
                            default:
                                if (pair.Key is "RequestId" or "RequestPath" or "ConnectionId" or "SpanId" or "TraceId" or "ParentId")
                                {
                                    break;
                                }

                                extra.Add(pair);
                                break;
                        }
                    }
                }
            }, (object?)null);

            traceId ??= System.Diagnostics.Activity.Current?.TraceId.ToHexString();
            writer.WriteString("requestId", requestId);
            writer.WriteString("traceId", traceId);
            writer.WriteString("message", message ?? logEntry.Exception?.Message);
            writer.WriteString("category", logEntry.Category);
            if (logEntry.EventId.Id != 0)
            {
                writer.WriteNumber("eventId", logEntry.EventId.Id);
            }

            if (logEntry.State is IReadOnlyList<KeyValuePair<string, object?>> state)
            {
                foreach (var pair in state)
                {
                    if (pair.Key != "{OriginalFormat}")
                    {
                        WriteField(writer, pair.Key, pair.Value);
                    }
                }
            }

            foreach (var pair in extra)
            {
                WriteField(writer, pair.Key, pair.Value);
            }

            if (logEntry.Exception is not null)
            {
                // Exception type and message for operators; the stack trace stays in the log, never in a response.
                writer.WriteString("exception", logEntry.Exception.ToString());
            }

            writer.WriteEndObject();
        }

        textWriter.Write(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
        textWriter.Write('\n');
    }

    private static void WriteField(Utf8JsonWriter writer, string key, object? value)
    {
        if (key.Length == 0)
        {
            return;
        }

        var name = char.ToLowerInvariant(key[0]) + key[1..];
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
