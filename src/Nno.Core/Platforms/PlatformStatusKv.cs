using System.Buffers;
using System.Text.Json;

namespace Nno.Core.Platforms;

/// <summary>
/// The <c>PLATFORM_STATUS</c> KV contract between the Registry (which writes it on every status transition and tier
/// change) and the gateway (which reads it): key <c>platform:{platformId}</c>, value <see cref="PlatformStatusRecord"/>
/// as JSON (registry.md §4.2, gateway.md §2).
/// </summary>
public static class PlatformStatusKv
{
    /// <summary>Every key of the namespace starts with this.</summary>
    public const string KeyPrefix = "platform:";

    private static readonly (byte[] Utf8, string Value)[] Statuses =
        [.. PlatformStatuses.All.Select(s => (System.Text.Encoding.UTF8.GetBytes(s), s))];

    private static readonly (byte[] Utf8, string Value)[] Tiers =
        [.. PlatformTiers.All.Select(t => (System.Text.Encoding.UTF8.GetBytes(t), t))];

    /// <summary>The key of <paramref name="platformId"/>'s record.</summary>
    public static string KeyFor(string platformId)
    {
        ArgumentException.ThrowIfNullOrEmpty(platformId);
        return KeyPrefix + platformId;
    }

    /// <summary>
    /// Reads a stored value tolerantly (the gateway's reader, gateway.md §4.6): the JSON record (only <c>status</c> and
    /// <c>tier</c> are used; other fields are ignored), or a bare status as the whole value (<c>suspended</c>, also as a
    /// JSON string). A value that is not one of these, or a status that is not a lifecycle status (matched exactly),
    /// reads as <see cref="PlatformStatuses.Unknown"/>; a missing or unknown tier reads as
    /// <see cref="PlatformTiers.Default"/>. Never throws; the strings returned are the shared constants.
    /// </summary>
    public static PlatformStatusReading Parse(ReadOnlySpan<byte> value)
    {
        var text = value.Trim(" \t\r\n"u8);
        if (text.IsEmpty)
        {
            return PlatformStatusReading.Unknown;
        }

        if (text[0] is (byte)'{' or (byte)'"')
        {
            try
            {
                return ParseJson(text);
            }
            catch (JsonException)
            {
                return PlatformStatusReading.Unknown;
            }
        }

        return new PlatformStatusReading(Match(Statuses, text) ?? PlatformStatuses.Unknown, PlatformTiers.Default);
    }

    private static PlatformStatusReading ParseJson(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            var bare = Match(Statuses, ref reader);
            EnsureEnd(ref reader);
            return new PlatformStatusReading(bare ?? PlatformStatuses.Unknown, PlatformTiers.Default);
        }

        string? status = null;
        string? tier = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            // Only property names reach here at depth 1: values are consumed (or skipped) right after their name.
            if (reader.ValueTextEquals("status"u8))
            {
                reader.Read();
                status = reader.TokenType == JsonTokenType.String ? Match(Statuses, ref reader) : null;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("tier"u8))
            {
                reader.Read();
                tier = reader.TokenType == JsonTokenType.String ? Match(Tiers, ref reader) : null;
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        EnsureEnd(ref reader);
        return new PlatformStatusReading(status ?? PlatformStatuses.Unknown, tier ?? PlatformTiers.Default);
    }

    /// <summary>Reading past the end throws on trailing content or an unclosed object (the reader sees the final block).</summary>
    private static void EnsureEnd(ref Utf8JsonReader reader)
    {
        if (reader.Read())
        {
            throw new JsonException("Trailing content after the status value.");
        }
    }

    private static string? Match((byte[] Utf8, string Value)[] candidates, ReadOnlySpan<byte> text)
    {
        foreach (var (utf8, name) in candidates)
        {
            if (text.SequenceEqual(utf8))
            {
                return name;
            }
        }

        return null;
    }

    private static string? Match((byte[] Utf8, string Value)[] candidates, ref Utf8JsonReader reader)
    {
        foreach (var (utf8, name) in candidates)
        {
            if (reader.ValueTextEquals(utf8))
            {
                return name;
            }
        }

        return null;
    }
}

/// <summary>What a reader learned from a platform's status value: its status (or <see cref="PlatformStatuses.Unknown"/>) and tier.</summary>
public readonly record struct PlatformStatusReading(string Status, string Tier)
{
    /// <summary>Nothing usable: unknown status, default tier.</summary>
    public static PlatformStatusReading Unknown { get; } = new(PlatformStatuses.Unknown, PlatformTiers.Default);

    /// <summary>True when <see cref="Status"/> is a lifecycle status.</summary>
    public bool IsKnown => PlatformStatuses.IsKnown(Status);
}

/// <summary>
/// The value the Registry writes under <see cref="PlatformStatusKv.KeyFor"/>:
/// <c>{"platformId","status","tier","version","updatedAt"}</c>, <c>updatedAt</c> in Unix milliseconds.
/// </summary>
/// <param name="PlatformId">The platform's id.</param>
/// <param name="Status">One of <see cref="PlatformStatuses"/>.</param>
/// <param name="Tier">One of <see cref="PlatformTiers"/>.</param>
/// <param name="Version">The platform row's version, so a reader (reconciliation) can tell newer from older.</param>
/// <param name="UpdatedAt">When the Registry changed the platform, in Unix milliseconds.</param>
public sealed record PlatformStatusRecord(string PlatformId, string Status, string Tier, long Version, long UpdatedAt)
{
    /// <summary>The record for <paramref name="platformId"/> at <paramref name="updatedAt"/>.</summary>
    public static PlatformStatusRecord Create(string platformId, string status, string tier, long version, DateTimeOffset updatedAt) =>
        new(platformId, status, tier, version, updatedAt.ToUnixTimeMilliseconds());

    /// <summary>The record as the KV value: compact UTF-8 JSON with the contract's field names, in contract order.</summary>
    public byte[] ToUtf8Json()
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("platformId"u8, PlatformId);
            writer.WriteString("status"u8, Status);
            writer.WriteString("tier"u8, Tier);
            writer.WriteNumber("version"u8, Version);
            writer.WriteNumber("updatedAt"u8, UpdatedAt);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
