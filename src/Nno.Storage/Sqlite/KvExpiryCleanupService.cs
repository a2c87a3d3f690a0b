using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Nno.Storage.Sqlite;

/// <summary>Deletes expired KV rows every <see cref="KvOptions.CleanupInterval"/>; reads never depend on it.</summary>
internal sealed partial class KvExpiryCleanupService(
    SqliteKeyValueStore store,
    IOptions<NnoStorageOptions> options,
    TimeProvider time,
    ILogger<KvExpiryCleanupService> logger) : BackgroundService
{
    private PeriodicTimer? _timer;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Created here, not in ExecuteAsync (which .NET runs on the thread pool after StartAsync returns): the first
        // period starts when the service has started, so a clock moved right after start is seen by the timer.
        _timer = new PeriodicTimer(options.Value.Kv.CleanupInterval, time);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = _timer ?? throw new InvalidOperationException("StartAsync creates the timer.");
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await store.PurgeExpiredAsync(stoppingToken);
                }
                catch (Microsoft.Data.Sqlite.SqliteException ex)
                {
                    // A busy or briefly unavailable file: the next tick tries again, reads are unaffected.
                    LogCleanupFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "KV expiry cleanup failed; trying again at the next interval")]
    private static partial void LogCleanupFailed(ILogger logger, Exception exception);
}
