using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Nno.ServiceDefaults.Logging;
using Nno.ServiceDefaults.RequestContext;

namespace Nno.ServiceDefaults.Tests.Logging;

public sealed class NdjsonConsoleFormatterTests
{
    [Fact]
    public void Write_InsideARequestScope_WritesOneJsonObjectWithTheStandardFields()
    {
        var line = Format(LogLevel.Warning, "Platform {PlatformId} blocked after {Count} attempts", ["k3m9p2xw7q", 3], new RequestIdMiddleware.RequestScope(new RequestIds("req-1", "0af7651916cd43dd8448eb211c80319c")));

        Assert.EndsWith("\n", line, StringComparison.Ordinal);
        Assert.Single(line.TrimEnd('\n').Split('\n'));
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        Assert.Equal("warn", root.GetProperty("level").GetString());
        Assert.Equal("registry", root.GetProperty("service").GetString());
        Assert.Equal("req-1", root.GetProperty("requestId").GetString());
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", root.GetProperty("traceId").GetString());
        Assert.Equal("Platform k3m9p2xw7q blocked after 3 attempts", root.GetProperty("message").GetString());
        Assert.Equal("k3m9p2xw7q", root.GetProperty("platformId").GetString());
        Assert.Equal(3, root.GetProperty("count").GetInt32());
        Assert.True(DateTimeOffset.TryParse(root.GetProperty("timestamp").GetString(), out _));
        Assert.EndsWith("Z", root.GetProperty("timestamp").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Write_FieldsNamedLikeSecrets_AreNeverWritten()
    {
        var line = Format(LogLevel.Information, "Sign-in for {Email} with {Password} and {Token} and {Authorization}", ["a@example.com", "hunter2-secret", "tok-secret", "Bearer abc-secret"], null);

        using var doc = JsonDocument.Parse(line);
        Assert.False(doc.RootElement.TryGetProperty("password", out _));
        Assert.False(doc.RootElement.TryGetProperty("token", out _));
        Assert.False(doc.RootElement.TryGetProperty("authorization", out _));
        Assert.Equal("a@example.com", doc.RootElement.GetProperty("email").GetString());
    }

    [Fact]
    public void Write_OutsideARequest_WritesNullIds()
    {
        var line = Format(LogLevel.Information, "started", [], null);
        using var doc = JsonDocument.Parse(line);
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("requestId").ValueKind);
        Assert.Equal("info", doc.RootElement.GetProperty("level").GetString());
    }

    [Fact]
    public void Write_ConsecutiveLinesOnOneThread_ShareNoFieldsOrIds()
    {
        var first = Format(LogLevel.Information, "first {Kind}", ["a"], new RequestIdMiddleware.RequestScope(new RequestIds("req-first", "trace-first")), new Dictionary<string, object?> { ["tenant"] = "t1" });
        var second = Format(LogLevel.Information, "second", [], null);

        using var a = JsonDocument.Parse(first);
        Assert.Equal("t1", a.RootElement.GetProperty("tenant").GetString());
        Assert.Equal("req-first", a.RootElement.GetProperty("requestId").GetString());
        using var b = JsonDocument.Parse(second);
        Assert.False(b.RootElement.TryGetProperty("tenant", out _));
        Assert.False(b.RootElement.TryGetProperty("kind", out _));
        Assert.Equal(JsonValueKind.Null, b.RootElement.GetProperty("requestId").ValueKind);
        Assert.Equal("second", b.RootElement.GetProperty("message").GetString());
    }

    private static string Format(LogLevel level, string template, object?[] args, object? scope, object? secondScope = null)
    {
        var options = new NdjsonFormatterOptions { Service = "registry" };
        using var formatter = new NdjsonConsoleFormatter(new StaticOptionsMonitor(options));
        var state = new FormattedState(template, args);
        var entry = new LogEntry<FormattedState>(level, "Test", new EventId(0), state, null, (s, _) => s.ToString());
        var scopes = new LoggerExternalScopeProvider();
        using var pushed = scope is null ? null : scopes.Push(scope);
        using var pushedSecond = secondScope is null ? null : scopes.Push(secondScope);
        using var writer = new StringWriter();
        formatter.Write(in entry, scopes, writer);
        return writer.ToString();
    }

    /// <summary>Structured state like LoggerMessage produces: named values plus the original template.</summary>
    private sealed class FormattedState(string template, object?[] args) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly List<KeyValuePair<string, object?>> _pairs = Build(template, args);

        public int Count => _pairs.Count;

        public KeyValuePair<string, object?> this[int index] => _pairs[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _pairs.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString()
        {
            var text = template;
            foreach (var pair in _pairs.Where(p => p.Key != "{OriginalFormat}"))
            {
                text = text.Replace("{" + pair.Key + "}", Convert.ToString(pair.Value, System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
            }

            return text;
        }

        private static List<KeyValuePair<string, object?>> Build(string template, object?[] args)
        {
            var names = System.Text.RegularExpressions.Regex.Matches(template, "{([A-Za-z]+)}").Select(m => m.Groups[1].Value).ToArray();
            var pairs = names.Select((n, i) => new KeyValuePair<string, object?>(n, args[i])).ToList();
            pairs.Add(new("{OriginalFormat}", template));
            return pairs;
        }
    }

    private sealed class StaticOptionsMonitor(NdjsonFormatterOptions value) : IOptionsMonitor<NdjsonFormatterOptions>
    {
        public NdjsonFormatterOptions CurrentValue => value;

        public NdjsonFormatterOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<NdjsonFormatterOptions, string?> listener) => null;
    }
}
