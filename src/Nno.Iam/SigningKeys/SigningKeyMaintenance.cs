using System.Data.Common;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Nno.Iam.SigningKeys;

/// <summary>
/// Loads the signing keys before IAM takes requests (registered after the migration step, so the table exists), then
/// rotates and purges them every <see cref="SigningKeyOptions.CheckInterval"/> of <see cref="TimeProvider"/> time.
/// </summary>
internal sealed class SigningKeyMaintenance(SigningKeyRing ring, TimeProvider time, IOptions<SigningKeyOptions> options, ILogger<SigningKeyMaintenance> logger)
    : BackgroundService
{
    private PeriodicTimer? _timer;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await ring.MaintainAsync(cancellationToken);
        // Created here, not in ExecuteAsync: the period starts when IAM has started, whenever the loop gets to run.
        _timer = new PeriodicTimer(options.Value.CheckInterval, time);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var timer = _timer ?? throw new InvalidOperationException("StartAsync creates the timer.");
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await ring.MaintainAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is DbException or DbUpdateException or CryptographicException or IOException)
                {
                    // The next tick (or the next use of the ring) tries again; signing goes on with the keys in memory.
                    logger.LogError(ex, "Signing key maintenance failed");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    public override void Dispose()
    {
        _timer?.Dispose();
        base.Dispose();
    }
}
