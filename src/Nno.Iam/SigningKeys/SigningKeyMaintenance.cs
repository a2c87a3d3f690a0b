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
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await ring.MaintainAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.CheckInterval, time, stoppingToken);
                await ring.MaintainAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is DbException or DbUpdateException or CryptographicException or IOException)
            {
                // The next check (or the next use of the ring) tries again; signing goes on with the keys in memory.
                logger.LogError(ex, "Signing key maintenance failed");
            }
        }
    }
}
