using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Nno.Provisioning.Cloudflare;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Outbox;
using Nno.Provisioning.Steps.Common;
using Nno.ServiceDefaults.Jobs;

namespace Nno.Provisioning.Steps.Domains;

/// <summary>
/// The SSL poller (provisioning.md §4.5; every <c>Provisioning:SslPollSeconds</c>, one replica through its lease row):
/// ledger hostnames whose certificate is not yet active, oldest first, at most 100 per tick and only while more than 20 %
/// of the Cloudflare budget is left. Changes reach the Registry through the outbox (DNS record <c>sslStatus</c>; for a
/// customer domain also its <c>status</c>/<c>sslStatus</c>); a hostname pending for 24 h becomes <c>failed</c> with an alert log.
/// </summary>
internal sealed partial class SslPoller(
    ProvisioningDbContext db, CloudflareClient cloudflare, ICloudflareRequestBudget budget, OutboxSignal signal, TimeProvider time, ILogger<SslPoller> logger) : IPeriodicJob
{
    public const string Name = "provisioning.ssl-poller";
    private const int Batch = 100;
    private const double MinBudgetFraction = 0.2;
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromHours(24);

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        if (budget.RemainingFraction <= MinBudgetFraction)
        {
            return 0;
        }

        var (kind, active, pending) = (ResourceKinds.CustomHostname, CfResourceStatuses.Active, "pending");
        var rows = await db.Resources
            .Where(r => r.Kind == kind && (r.SslStatus == pending || r.SslStatus == null) && r.Status == active)
            .OrderBy(r => r.CreatedAt)
            .Take(Batch)
            .ToListAsync(cancellationToken);
        var changed = 0;
        foreach (var row in rows)
        {
            if (budget.RemainingFraction <= MinBudgetFraction)
            {
                break;
            }

            CustomHostname? hostname;
            try
            {
                hostname = await cloudflare.GetCustomHostnameAsync(row.CfId, cancellationToken);
            }
            catch (CloudflareBudgetExhaustedException)
            {
                break;
            }
            catch (CloudflareApiException ex) when (ex.IsTransient)
            {
                // The next tick asks again.
                LogPollFailed(logger, row.Name, ex.Message);
                break;
            }

            if (hostname is null)
            {
                // Deleted outside a job: nothing to follow; the ledger keeps what NNO knows.
                continue;
            }

            var now = time.GetUtcNow();
            var status = HostnameOps.SslStatusOf(hostname);
            string? error = null;
            if (status == "pending" && now - DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt) >= GiveUpAfter)
            {
                status = "failed";
                error = "The certificate was not validated within 24 hours.";
                LogGaveUp(logger, row.PlatformId, row.Name, row.CustomDomainId);
            }

            if (status == row.SslStatus)
            {
                continue;
            }

            var ms = now.ToUnixTimeMilliseconds();
            row.SslStatus = status;
            row.UpdatedAt = ms;
            Add(RegistryReports.DnsSslStatus(row, status, error), ms);
            if (row.CustomDomainId is { } cdid)
            {
                var domainStatus = status switch { "active" => "active", "failed" => "failed", _ => "pending" };
                Add(RegistryReports.CustomDomain(row.PlatformId, cdid, new { status = domainStatus, sslStatus = status }), ms);
            }

            changed++;
        }

        if (changed > 0)
        {
            await db.SaveChangesAsync(cancellationToken);
            signal.Notify();
        }

        return changed;
    }

    private void Add(RegistryOutboxRecord report, long now)
    {
        report.CreatedAt = now;
        report.NextAttemptAt = now;
        db.Outbox.Add(report);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "provisioning.ssl.poll_failed hostname={Hostname}: {Error}")]
    private static partial void LogPollFailed(ILogger logger, string hostname, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "provisioning.ssl.failed platformId={PlatformId} hostname={Hostname} customDomainId={CustomDomainId}: pending for 24 h, marked failed")]
    private static partial void LogGaveUp(ILogger logger, string platformId, string hostname, string? customDomainId);
}
