using System.ComponentModel.DataAnnotations;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nno.Core.Platforms;
using Nno.Registry.Data;
using Nno.ServiceDefaults.Jobs;
using Nno.Storage;

namespace Nno.Registry.Kv;

/// <summary>Settings of the KV reconciliation (section <c>Registry:Workers</c>, registry.md §4.6).</summary>
public sealed class KvReconciliationOptions
{
    public const string Section = "Registry:Workers";

    /// <summary>Minutes between two reconciliation passes (besides the one at start).</summary>
    [Range(1, 10_080)]
    public int KvReconcileMinutes { get; set; } = 10;

    /// <summary>
    /// False skips every pass (start and periodic), e.g. while another writer owns the KV: hosts whose tests write
    /// statuses for platforms this Registry does not hold. The relay still writes every change. On by default.
    /// </summary>
    public bool KvReconcileEnabled { get; set; } = true;
}

/// <summary>What one reconciliation pass changed.</summary>
internal sealed record KvReconciliationResult(int Platforms, int Keys, int Written, int Deleted);

/// <summary>
/// KV reconciliation (registry.md §4.2): a merge join of the platforms ordered by id (pages of 500) and the
/// <c>platform:</c> keys of <c>PLATFORM_STATUS</c> (pages of 1,000, byte order, which is id order for these ids).
/// Missing keys and keys whose metadata disagrees on status or version are rewritten from the platform's current row;
/// keys with no platform are deleted. Memory stays at one page of each side.
/// </summary>
internal sealed partial class KvReconciler(
    IServiceScopeFactory scopes,
    IKeyValueStore store,
    Microsoft.Extensions.Options.IOptions<KvReconciliationOptions> options,
    ILogger<KvReconciler> logger)
{
    public const int PlatformPage = 500;
    public const int KeyPage = 1000;

    public async Task<KvReconciliationResult> RunAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.KvReconcileEnabled)
        {
            return new KvReconciliationResult(0, 0, 0, 0);
        }

        var kv = PlatformStatusKvWriter.Namespace(store);
        int platforms = 0, keys = 0, written = 0, deleted = 0;
        await using var platformRows = PlatformsAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using var kvKeys = kv.ListAllAsync(PlatformStatusKv.KeyPrefix, KeyPage, cancellationToken).GetAsyncEnumerator(cancellationToken);
        var platform = await platformRows.MoveNextAsync() ? platformRows.Current : null;
        var key = await kvKeys.MoveNextAsync() ? kvKeys.Current : null;
        while (platform is not null || key is not null)
        {
            var order = platform is null ? 1 : key is null ? -1 : string.CompareOrdinal(PlatformStatusKv.KeyFor(platform.Id), key.Name);
            if (order < 0)
            {
                written += await RewriteAsync(kv, platform!.Id, cancellationToken);
                platforms++;
                platform = await platformRows.MoveNextAsync() ? platformRows.Current : null;
            }
            else if (order > 0)
            {
                await kv.DeleteAsync(key!.Name, cancellationToken);
                LogOrphanDeleted(logger, key.Name);
                deleted++;
                keys++;
                key = await kvKeys.MoveNextAsync() ? kvKeys.Current : null;
            }
            else
            {
                if (!PlatformStatusKvWriter.Matches(key!.Metadata, platform!))
                {
                    written += await RewriteAsync(kv, platform!.Id, cancellationToken);
                }

                platforms++;
                keys++;
                platform = await platformRows.MoveNextAsync() ? platformRows.Current : null;
                key = await kvKeys.MoveNextAsync() ? kvKeys.Current : null;
            }
        }

        if (written + deleted > 0)
        {
            LogReconciled(logger, platforms, keys, written, deleted);
        }

        return new KvReconciliationResult(platforms, keys, written, deleted);
    }

    /// <summary>
    /// Writes the platform's row as it is now (re-read: the page may be older than a write the relay made meanwhile, and
    /// the older values must not win).
    /// </summary>
    private async Task<int> RewriteAsync(IKeyValueNamespace kv, string platformId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
        if (await PlatformStatusKvWriter.ReadCurrentAsync(db, platformId, cancellationToken) is not { } current)
        {
            return 0;
        }

        await PlatformStatusKvWriter.PutAsync(kv, current, cancellationToken);
        return 1;
    }

    private async IAsyncEnumerable<PlatformStatusSnapshot> PlatformsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? after = null;
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
            var query = db.Platforms.AsNoTracking();
            if (after is not null)
            {
                query = query.Where(p => string.Compare(p.Id, after) > 0);
            }

            var page = await query.OrderBy(p => p.Id).Take(PlatformPage)
                .Select(p => new PlatformStatusSnapshot(p.Id, p.Status, p.Tier, p.Version, p.UpdatedAt))
                .ToListAsync(cancellationToken);
            foreach (var platform in page)
            {
                yield return platform;
            }

            if (page.Count < PlatformPage)
            {
                yield break;
            }

            after = page[^1].Id;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "KV reconciliation: {Platforms} platform(s), {Keys} key(s), {Written} written, {Deleted} deleted")]
    private static partial void LogReconciled(ILogger logger, int platforms, int keys, int written, int deleted);

    [LoggerMessage(Level = LogLevel.Warning, Message = "KV reconciliation deleted {Key}: no platform has this id")]
    private static partial void LogOrphanDeleted(ILogger logger, string key);
}

/// <summary>The periodic pass, every <see cref="KvReconciliationOptions.KvReconcileMinutes"/> under the job lease.</summary>
internal sealed class KvReconciliationJob(KvReconciler reconciler) : IPeriodicJob
{
    public const string Name = "registry.kv-reconcile";

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var result = await reconciler.RunAsync(cancellationToken);
        return result.Written + result.Deleted;
    }
}

/// <summary>
/// The pass at start: right after migrations (this service is registered after the database's), in the background so
/// requests are served meanwhile. Each replica runs it once without the lease: it is idempotent, and a replica that
/// restarts after a crash should not wait for another's schedule.
/// </summary>
internal sealed partial class KvReconciliationAtStart(KvReconciler reconciler, ILogger<KvReconciliationAtStart> logger) : BackgroundService
{
    /// <summary>Completes when the start pass has finished (or failed); tests and diagnostics wait on it.</summary>
    public Task Completed => _completed.Task;

    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await reconciler.RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex)
        {
            // The KV or the database is down at start: the periodic pass and the relay repair later; the host keeps serving.
            LogStartPassFailed(logger, ex);
        }
        finally
        {
            _completed.TrySetResult();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The KV reconciliation at start failed; the periodic pass will repair the KV")]
    private static partial void LogStartPassFailed(ILogger logger, Exception exception);
}
