using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Nno.Provisioning.Cloudflare;
using Nno.Provisioning.Cloudflare.R2;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Outbox;
using Nno.Provisioning.Steps.Common;
using Nno.Provisioning.Steps.Platform;

namespace Nno.Provisioning.Steps;

/// <summary>
/// DEPROVISION_PLATFORM (§4.2): irreversible (FAILED is terminal, P12 resumes at the first step not done). Works from the
/// ledger only, for one environment or all, never by name prefix: routes, domains (Pages domains, custom hostnames),
/// Workers (features, then auth), Pages projects; with <c>purgeData</c> also queues, R2 buckets (emptied through the S3
/// API, resumable by continuation token), KV and D1 — without it those steps are SKIPPED and the data stays active. Each
/// resource is reported <c>deleting</c>, deleted (a 404 = already gone), marked deleted in the ledger and reported
/// <c>deleted</c>; a step resumes with the rows still active. Same-prefixed resources missing from the ledger are logged.
/// </summary>
internal sealed partial class DeprovisionSteps : IJobSteps
{
    private static readonly string[] DataSteps = ["delete_queues", "empty_and_delete_r2", "delete_kv", "delete_d1"];

    public string JobType => JobTypes.DeprovisionPlatform;

    public bool IrreversibleFromStart => true;

    public IReadOnlyList<PlannedStep> Plan(JobPlanInput input) =>
    [
        new("remove_routes"), new("remove_domains"), new("delete_workers"), new("delete_pages_projects"),
        new("delete_queues"), new("empty_and_delete_r2"), new("delete_kv"), new("delete_d1"),
    ];

    public async Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (DataSteps.Contains(context.Step.Name) && !StepNames.Bool(context.Payload, "purgeData"))
        {
            // Without purgeData the data stores stay active in the ledger and the Registry.
            return StepOutcome.Skipped;
        }

        var run = new Run(context);
        switch (context.Step.Name)
        {
            case "remove_routes":
                await run.DeleteEachAsync(ResourceKinds.WorkerRoute, null, (row, ct) => run.Cloudflare.DeleteWorkerRouteAsync(row.CfId, ct), cancellationToken);
                break;
            case "remove_domains":
                await run.DeleteEachAsync(ResourceKinds.PagesDomain, null, (row, ct) => run.Cloudflare.DeletePagesDomainAsync(PlatformStepKit.Meta(row, "project") ?? string.Empty, row.Name, ct), cancellationToken);
                await run.DeleteEachAsync(ResourceKinds.CustomHostname, null, (row, ct) => run.Cloudflare.DeleteCustomHostnameAsync(row.CfId, ct), cancellationToken);
                break;
            case "delete_workers":
                // Features first, then the auth Worker they call.
                await run.DeleteEachAsync(ResourceKinds.Worker, r => r.FeatureId != null, (row, ct) => run.Cloudflare.DeleteWorkerAsync(row.Name, ct), cancellationToken);
                await run.DeleteEachAsync(ResourceKinds.Worker, null, (row, ct) => run.Cloudflare.DeleteWorkerAsync(row.Name, ct), cancellationToken);
                break;
            case "delete_pages_projects":
                await run.DeleteEachAsync(ResourceKinds.PagesProject, null, (row, ct) => run.Cloudflare.DeletePagesProjectAsync(row.Name, ct), cancellationToken);
                break;
            case "delete_queues":
                await run.LogUnledgeredQueuesAsync(cancellationToken);
                await run.DeleteEachAsync(ResourceKinds.Queue, null, (row, ct) => run.Cloudflare.DeleteQueueAsync(row.CfId, ct), cancellationToken);
                break;
            case "empty_and_delete_r2":
                await run.DeleteEachAsync(ResourceKinds.R2, null, run.EmptyAndDeleteBucketAsync, cancellationToken);
                break;
            case "delete_kv":
                await run.LogUnledgeredKvAsync(cancellationToken);
                await run.DeleteEachAsync(ResourceKinds.Kv, null, (row, ct) => run.Cloudflare.DeleteKvNamespaceAsync(row.CfId, ct), cancellationToken);
                break;
            case "delete_d1":
                await run.DeleteEachAsync(ResourceKinds.D1, null, (row, ct) => run.Cloudflare.DeleteD1DatabaseAsync(row.CfId, ct), cancellationToken);
                break;
            default:
                throw new InvalidOperationException($"DEPROVISION_PLATFORM has no step {context.Step.Name}.");
        }

        return StepOutcome.Done;
    }

    /// <summary>Never called: the job is irreversible from the start, so a failure is terminal (FAILED) and P12 resumes it.</summary>
    public Task<StepOutcome> UndoAsync(StepContext context, CancellationToken cancellationToken) => Task.FromResult(StepOutcome.Skipped);

    private sealed partial class Run(StepContext context)
    {
        private readonly ILogger _logger = context.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Nno.Provisioning.Steps.Deprovision");

        public CloudflareClient Cloudflare { get; } = context.Services.GetRequiredService<CloudflareClient>();

        private string PlatformId => context.Job.PlatformId;

        private string? Environment => context.Job.Environment;

        /// <summary>The platform's active ledger rows of <paramref name="kind"/> in scope (one environment, or all).</summary>
        private Task<List<CfResourceRecord>> ActiveAsync(string kind, CancellationToken ct)
        {
            var (pid, env) = (PlatformId, Environment);
            return context.Db.Resources
                .Where(r => r.PlatformId == pid && r.Status == CfResourceStatuses.Active && r.Kind == kind && (env == null || r.Environment == env))
                .OrderBy(r => r.CreatedAt).ThenBy(r => r.Id)
                .ToListAsync(ct);
        }

        /// <summary>
        /// Deletes every active row of <paramref name="kind"/> (those matching <paramref name="filter"/>): reported
        /// <c>deleting</c> (committed before the call), deleted, then marked deleted and reported <c>deleted</c> in one
        /// transaction. A rerun after a crash finds only the rows still active.
        /// </summary>
        public async Task DeleteEachAsync(string kind, Func<CfResourceRecord, bool>? filter, Func<CfResourceRecord, CancellationToken, Task> delete, CancellationToken ct)
        {
            foreach (var row in (await ActiveAsync(kind, ct)).Where(filter ?? (_ => true)))
            {
                var resource = LedgerReports.RegistryType(kind) is not null;
                if (resource)
                {
                    await context.ReportAsync(LedgerReports.Resource(row, context.Job.Id, LedgerReports.Deleting), ct);
                }

                await delete(row, ct);
                var reported = kind == ResourceKinds.CustomHostname && await CreateOrAdopt.WasReportedAsync(context, row, ct);
                await context.MarkDeletedAsync(row, r => resource
                    ? LedgerReports.Resource(r, context.Job.Id, LedgerReports.Deleted)
                    : reported ? [RegistryReports.DeleteDnsRecord(r)] : [], ct);
                LogDeleted(_logger, context.Job.Id, PlatformId, context.Step.Name, kind, row.Name);
            }
        }

        /// <summary>
        /// Empties a bucket through the S3-compatible API (one list and one delete per call), persisting the cursor in
        /// <c>output_json</c> after each call so a retry resumes; then deletes the bucket. Objects written meanwhile make
        /// the delete refuse: the emptying starts over on the next attempt.
        /// </summary>
        public async Task EmptyAndDeleteBucketAsync(CfResourceRecord row, CancellationToken ct)
        {
            var deleter = context.Services.GetRequiredService<R2BulkDeleter>();
            var key = "r2:" + row.Name;
            var cursor = context.Output[key] is { } saved ? saved.Deserialize<R2DeletionCursor>() : null;
            cursor = await deleter.DeleteAllAsync(row.Name, null, cursor, async (next, token) =>
            {
                context.Output[key] = JsonSerializer.SerializeToNode(next);
                await context.SaveAsync(token);
            }, ct);
            try
            {
                await Cloudflare.DeleteR2BucketAsync(row.Name, ct);
            }
            catch (CloudflareApiException ex) when (ex.IsBucketNotEmpty)
            {
                context.Output.Remove(key);
                await context.SaveAsync(ct);
                throw StepFailureException.Transient(JobErrorCodes.CfApiError, $"Bucket {row.Name} received objects while it was emptied; emptying again.", null, ex);
            }
        }

        /// <summary>Logs the platform's queues that look like NNO's but are not in the ledger (never touched).</summary>
        public async Task LogUnledgeredQueuesAsync(CancellationToken ct)
        {
            var known = await KnownNamesAsync(ResourceKinds.Queue, ct);
            foreach (var queue in await Cloudflare.ListQueuesAsync(ct))
            {
                if (queue.QueueName.StartsWith(PlatformId + "-", StringComparison.Ordinal) && !known.Contains(queue.QueueName))
                {
                    LogUnledgered(_logger, context.Job.Id, PlatformId, ResourceKinds.Queue, queue.QueueName);
                }
            }
        }

        /// <summary>Logs the platform's KV namespaces that look like NNO's but are not in the ledger (never touched).</summary>
        public async Task LogUnledgeredKvAsync(CancellationToken ct)
        {
            var known = await KnownNamesAsync(ResourceKinds.Kv, ct);
            for (var page = 1; page <= 100; page++)
            {
                var result = await Cloudflare.ListKvNamespacesAsync(page, 100, ct);
                foreach (var ns in result.Items.Where(n => n.Title.StartsWith(PlatformId + "-", StringComparison.Ordinal) && !known.Contains(n.Title)))
                {
                    LogUnledgered(_logger, context.Job.Id, PlatformId, ResourceKinds.Kv, ns.Title);
                }

                if (result.Items.Count == 0 || result.ResultInfo?.TotalPages is not { } total || page >= total)
                {
                    break;
                }
            }
        }

        private async Task<HashSet<string>> KnownNamesAsync(string kind, CancellationToken ct)
        {
            var pid = PlatformId;
            var names = await context.Db.Resources.Where(r => r.PlatformId == pid && r.Kind == kind).Select(r => r.Name).ToListAsync(ct);
            return names.ToHashSet(StringComparer.Ordinal);
        }

        [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "provisioning.deprovision.deleted job={JobId} platform={PlatformId} step={Step} kind={Kind} name={Name}")]
        private static partial void LogDeleted(ILogger logger, string jobId, string platformId, string step, string kind, string name);

        [LoggerMessage(EventId = 42, Level = LogLevel.Warning, Message = "provisioning.deprovision.unledgered job={JobId} platform={PlatformId} kind={Kind} name={Name}: not in the ledger, left untouched")]
        private static partial void LogUnledgered(ILogger logger, string jobId, string platformId, string kind, string name);
    }
}
