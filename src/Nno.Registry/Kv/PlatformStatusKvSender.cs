using Nno.Registry.Data;
using Nno.Registry.Outbox;
using Nno.Storage;

namespace Nno.Registry.Kv;

/// <summary>
/// <c>kv.platform_status</c>: writes the platform's record as its row stands when the row is sent (registry.md §4.2), so
/// rows relayed out of order cannot leave a stale value. A KV failure of any kind is transient: the row is retried.
/// </summary>
internal sealed class PlatformStatusKvSender(RegistryDbContext db, IKeyValueStore store) : IOutboxSender
{
    public string Kind => OutboxKinds.KvPlatformStatus;

    public async Task<OutboxSendResult> SendAsync(OutboxRecord row, CancellationToken cancellationToken)
    {
        var platform = await PlatformStatusKvWriter.ReadCurrentAsync(db, row.PlatformId, cancellationToken);
        if (platform is null)
        {
            // Platform rows are never deleted (purge keeps them); nothing to write, and reconciliation removes any key.
            return OutboxSendResult.Done();
        }

        try
        {
            await PlatformStatusKvWriter.PutAsync(PlatformStatusKvWriter.Namespace(store), platform, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The store is behind an interface (SQLite embedded, Redis distributed): whatever it throws means "not now".
            return OutboxSendResult.Retry("kv: " + ex.GetType().Name + ": " + ex.Message);
        }

        return OutboxSendResult.Done();
    }
}
