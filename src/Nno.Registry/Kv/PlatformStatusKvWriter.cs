using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Platforms;
using Nno.Registry.Data;
using Nno.Storage;

namespace Nno.Registry.Kv;

/// <summary>What the <c>PLATFORM_STATUS</c> KV holds of a platform: its current status, tier, version and update time.</summary>
internal sealed record PlatformStatusSnapshot(string Id, string Status, string Tier, long Version, long UpdatedAt)
{
    public PlatformStatusRecord ToRecord() => new(Id, Status, Tier, Version, UpdatedAt);
}

/// <summary>The metadata stored with each key: what reconciliation compares without reading values (registry.md §4.2).</summary>
internal sealed record PlatformStatusMetadata(string Status, long Version);

/// <summary>
/// Writes a platform's <c>PLATFORM_STATUS</c> record (Nno.Core's <see cref="PlatformStatusKv"/> contract the gateway
/// reads): key <c>platform:{id}</c>, value <c>{platformId,status,tier,version,updatedAt}</c>, metadata
/// <c>{status,version}</c>, no expiry. Always from the platform's current row, never from a captured payload.
/// </summary>
internal static class PlatformStatusKvWriter
{
    public static IKeyValueNamespace Namespace(IKeyValueStore store) => store.GetNamespace(KvNamespaces.PlatformStatus);

    /// <summary>The platform's current row, or null when it does not exist.</summary>
    public static Task<PlatformStatusSnapshot?> ReadCurrentAsync(RegistryDbContext db, string platformId, CancellationToken cancellationToken) =>
        db.Platforms.AsNoTracking().Where(p => p.Id == platformId)
            .Select(p => new PlatformStatusSnapshot(p.Id, p.Status, p.Tier, p.Version, p.UpdatedAt))
            .FirstOrDefaultAsync(cancellationToken);

    public static Task PutAsync(IKeyValueNamespace kv, PlatformStatusSnapshot platform, CancellationToken cancellationToken) =>
        kv.PutAsync(
            PlatformStatusKv.KeyFor(platform.Id),
            platform.ToRecord().ToUtf8Json(),
            KvPutOptions.WithMetadata(new PlatformStatusMetadata(platform.Status, platform.Version)),
            cancellationToken);

    /// <summary>True when <paramref name="metadata"/> says the key holds <paramref name="platform"/>'s status and version.</summary>
    public static bool Matches(JsonElement? metadata, PlatformStatusSnapshot platform)
    {
        if (metadata is not { ValueKind: JsonValueKind.Object } m)
        {
            return false;
        }

        return m.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String && status.ValueEquals(platform.Status)
            && m.TryGetProperty("version", out var version) && version.ValueKind == JsonValueKind.Number && version.TryGetInt64(out var v) && v == platform.Version;
    }
}
