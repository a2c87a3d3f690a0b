using System.Globalization;

namespace Nno.Gateway.AccessLog;

/// <summary>
/// The structured fields of one access-log line (gateway.md §4.12). Never holds a query string, a body or a credential.
/// </summary>
internal sealed class AccessLogEntry : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly KeyValuePair<string, object?>[] _fields;

    public AccessLogEntry(
        string method,
        string path,
        string? route,
        int status,
        string? errorCode,
        double durationMs,
        string? upstream,
        int? upstreamStatus,
        double? upstreamMs,
        string principal,
        string? userId,
        string? platformId,
        string? keyId,
        string? clientIp,
        string? userAgent,
        long requestBytes,
        long responseBytes,
        string? rateLimitBucket)
    {
        _fields =
        [
            new("method", method),
            new("path", path),
            new("route", route),
            new("status", status),
            new("errorCode", errorCode),
            new("durationMs", durationMs),
            new("upstream", upstream),
            new("upstreamStatus", upstreamStatus),
            new("upstreamMs", upstreamMs),
            new("principal", principal),
            new("userId", userId),
            new("platformId", platformId),
            new("keyId", keyId),
            new("clientIp", clientIp),
            new("userAgent", userAgent),
            new("requestBytes", requestBytes),
            new("responseBytes", responseBytes),
            new("rateLimitBucket", rateLimitBucket),
        ];
    }

    public int Count => _fields.Length;

    public KeyValuePair<string, object?> this[int index] => _fields[index];

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_fields).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The line's message: method, path, status and duration.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{_fields[0].Value} {_fields[1].Value} {_fields[3].Value} {_fields[5].Value}ms");
}
