using System.Text.Json;

namespace Nno.Registry.Outbox;

/// <summary>Reads fields of an outbox row's JSON payload (written by the unit of work with the wire options: camelCase).</summary>
internal readonly struct OutboxPayload
{
    private readonly JsonElement _root;

    private OutboxPayload(JsonElement root) => _root = root;

    public static OutboxPayload Of(OutboxRecord row)
    {
        ArgumentNullException.ThrowIfNull(row);
        using var doc = JsonDocument.Parse(row.Payload);
        return new OutboxPayload(doc.RootElement.Clone());
    }

    /// <summary>A string field, or null when absent, null or not a string.</summary>
    public string? String(string name) =>
        _root.ValueKind == JsonValueKind.Object && _root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A field as raw JSON, or null when absent.</summary>
    public JsonElement? Element(string name) =>
        _root.ValueKind == JsonValueKind.Object && _root.TryGetProperty(name, out var value) ? value : null;
}
