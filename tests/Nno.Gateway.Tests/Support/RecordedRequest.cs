namespace Nno.Gateway.Tests.Support;

/// <summary>One request as an upstream service received it from the gateway.</summary>
public sealed record RecordedRequest(
    string Service,
    string Method,
    string RawPath,
    string RawQuery,
    IReadOnlyDictionary<string, string> Headers,
    byte[] Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}
