using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Outbox;

namespace Nno.Provisioning.Steps;

/// <summary>How a failed step or undo is treated (provisioning.md §4.4).</summary>
internal enum StepFailureKind
{
    /// <summary>Network error, timeout, 5xx, 429 from Registry/CLI/Stack Registry: the step returns to PENDING and the message is retried with backoff.</summary>
    Transient,

    /// <summary>Other 4xx, missing bundle or definition, drift, tier limit: the step FAILS and the job rolls back (no DLQ).</summary>
    Permanent,

    /// <summary>Local budget empty, Cloudflare or CLI 429: a fresh delayed message, not an attempt.</summary>
    Deferral,
}

/// <summary>A step's failure, classified. Step code throws it; the executor decides what happens to the job.</summary>
internal sealed class StepFailureException : Exception
{
    public StepFailureException(StepFailureKind kind, string code, string message, TimeSpan? retryAfter = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Code = code;
        RetryAfter = retryAfter;
    }

    public StepFailureException()
        : this(StepFailureKind.Transient, JobErrorCodes.CfApiError, "Step failed.")
    {
    }

    public StepFailureException(string message)
        : this(StepFailureKind.Transient, JobErrorCodes.CfApiError, message)
    {
    }

    public StepFailureException(string message, Exception innerException)
        : this(StepFailureKind.Transient, JobErrorCodes.CfApiError, message, null, innerException)
    {
    }

    public StepFailureKind Kind { get; }

    /// <summary>A job error code (<see cref="JobErrorCodes"/>).</summary>
    public string Code { get; }

    /// <summary>The earliest time to try again, when the other side said so.</summary>
    public TimeSpan? RetryAfter { get; }

    public static StepFailureException Transient(string code, string message, TimeSpan? retryAfter = null, Exception? inner = null) =>
        new(StepFailureKind.Transient, code, message, retryAfter, inner);

    public static StepFailureException Permanent(string code, string message, Exception? inner = null) =>
        new(StepFailureKind.Permanent, code, message, null, inner);

    public static StepFailureException Deferral(string code, string message, TimeSpan? retryAfter = null, Exception? inner = null) =>
        new(StepFailureKind.Deferral, code, message, retryAfter, inner);
}

/// <summary>What a step run or undo achieved.</summary>
internal enum StepOutcome
{
    /// <summary>Forward: done (COMPLETED). Undo: undone (UNDONE).</summary>
    Done,

    /// <summary>Nothing to do (SKIPPED), forward or undo.</summary>
    Skipped,
}

/// <summary>A step as planned at job creation.</summary>
internal sealed record PlannedStep(string Name, string? ResourceKind = null, string? ResourceName = null);

/// <summary>The job fields a plan is made from (at creation, before any row exists).</summary>
internal sealed record JobPlanInput(string Type, string PlatformId, string? Environment, JsonElement Payload);

/// <summary>
/// One job type's steps (provisioning.md §4.2): the ordered plan made at creation, and the run and undo of each step by
/// name. Each job type lives in its own file behind <see cref="JobStepsCatalog"/>; tests register their own.
/// </summary>
internal interface IJobSteps
{
    /// <summary>The job type these steps serve.</summary>
    string JobType { get; }

    /// <summary>Whether the job is irreversible from the start (DEPROVISION_PLATFORM): FAILED is then terminal.</summary>
    bool IrreversibleFromStart => false;

    /// <summary>The ordered steps of a new job.</summary>
    IReadOnlyList<PlannedStep> Plan(JobPlanInput input);

    /// <summary>Runs one step forward; throws <see cref="StepFailureException"/> on failure.</summary>
    Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken);

    /// <summary>Undoes one step; "already gone" is success. Throws <see cref="StepFailureException"/> on failure.</summary>
    Task<StepOutcome> UndoAsync(StepContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Whether a step that did not create its resource still has an undo to run: a removal re-creates what it removed,
    /// an upgrade re-uploads the previous version. Otherwise such a step is SKIPPED on rollback (§4.2).
    /// </summary>
    bool UndoesUncreated(ProvisionStepRecord step) => false;

    /// <summary>Called in the transaction that completes the job (feature usages and the like).</summary>
    Task OnCompletedAsync(JobCompletionContext context, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>What <see cref="IJobSteps.OnCompletedAsync"/> may touch: the job and the database of the completing transaction.</summary>
internal sealed record JobCompletionContext(ProvisionJobRecord Job, ProvisioningDbContext Db, long Now);

/// <summary>The job types' steps by type.</summary>
internal sealed class JobStepsCatalog(IEnumerable<IJobSteps> all)
{
    // The last registration of a type wins, so a test can replace one job type's steps.
    private readonly Dictionary<string, IJobSteps> _byType = all.GroupBy(s => s.JobType, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);

    public IJobSteps For(string jobType) =>
        _byType.TryGetValue(jobType, out var steps) ? steps : throw new InvalidOperationException($"No steps are registered for job type {jobType}.");
}

/// <summary>
/// What a running step sees: its job (read-only), its own row (tracked), the database, and the step-idempotency
/// helpers of §4.3 (persist <c>create_attempts + 1</c> before a create, record the Cloudflare id in the step and the
/// ledger before the step completes, report to the Registry through the outbox in the same transaction).
/// </summary>
internal sealed class StepContext(ProvisionJobRecord job, ProvisionStepRecord step, ProvisioningDbContext db, IServiceProvider services, TimeProvider time)
{
    private JsonObject? _output;

    public ProvisionJobRecord Job { get; } = job;

    public ProvisionStepRecord Step { get; } = step;

    public ProvisioningDbContext Db { get; } = db;

    public IServiceProvider Services { get; } = services;

    public TimeProvider Time { get; } = time;

    /// <summary>The step name's base before <c>:</c> (<c>deploy_feature_worker:crm</c> → <c>deploy_feature_worker</c>).</summary>
    public string BaseName => Step.Name.Split(':')[0];

    /// <summary>The suffix after <c>:</c>, or null.</summary>
    public string? Qualifier => Step.Name.Contains(':', StringComparison.Ordinal) ? Step.Name[(Step.Name.IndexOf(':', StringComparison.Ordinal) + 1)..] : null;

    public long Now => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The job's payload as JSON.</summary>
    public JsonElement Payload => JsonDocument.Parse(Job.PayloadJson).RootElement.Clone();

    /// <summary>The step's <c>output_json</c> (mutable; saved with the step).</summary>
    public JsonObject Output => _output ??= JsonNode.Parse(Step.OutputJson) as JsonObject ?? [];

    /// <summary>
    /// Whether a resource found by a check is this job's: found while <c>create_attempts = 0</c> it was pre-existing
    /// (adopted); found after an earlier create call, the response of that call was lost.
    /// </summary>
    public bool FoundIsOurs => Step.CreateAttempts > 0;

    /// <summary>Whether a conflict on the create call that raised <c>create_attempts</c> to its current value means the resource is ours.</summary>
    public bool ConflictIsOurs => Step.CreateAttempts > 1;

    /// <summary>Persists <c>create_attempts + 1</c> (and the output so far) before a create call.</summary>
    public async Task BeforeCreateAsync(CancellationToken cancellationToken)
    {
        Step.CreateAttempts++;
        await SaveAsync(cancellationToken);
    }

    /// <summary>Saves the output and any pending change (a checkpoint inside a long step).</summary>
    public async Task SaveAsync(CancellationToken cancellationToken)
    {
        if (_output is not null)
        {
            Step.OutputJson = _output.ToJsonString();
        }

        await Db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>The active ledger row of (<paramref name="kind"/>, <paramref name="name"/>), or null.</summary>
    public Task<CfResourceRecord?> FindLedgerAsync(string kind, string name, CancellationToken cancellationToken) =>
        Db.Resources.FirstOrDefaultAsync(r => r.Kind == kind && r.Name == name && r.Status == CfResourceStatuses.Active, cancellationToken);

    /// <summary>
    /// Records a created or adopted resource: Cloudflare id and <c>created_by_job</c> on the step, the ledger row
    /// (inserted or updated), and the Registry reports <paramref name="reports"/> builds for that row, all in one
    /// transaction before the step completes.
    /// </summary>
    public async Task<CfResourceRecord> RecordResourceAsync(
        LedgerEntry entry, bool createdByJob, Func<CfResourceRecord, IEnumerable<RegistryOutboxRecord>>? reports, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var now = Now;
        Step.CfId = entry.CfId;
        Step.CreatedByJob = createdByJob;
        var row = await FindLedgerAsync(entry.Kind, entry.Name, cancellationToken);
        if (row is null)
        {
            row = new CfResourceRecord
            {
                Id = Services.GetRequiredService<Nno.Core.Ids.IIdGenerator>().NewPrefixedId("res"),
                PlatformId = Job.PlatformId,
                Environment = entry.Environment,
                StackId = entry.StackId,
                FeatureId = entry.FeatureId,
                CustomDomainId = entry.CustomDomainId,
                Kind = entry.Kind,
                Name = entry.Name,
                CfId = entry.CfId,
                Status = CfResourceStatuses.Active,
                SslStatus = entry.SslStatus,
                MetaJson = entry.MetaJson ?? "{}",
                CreatedByJobId = Job.Id,
                CreatedAt = now,
                UpdatedAt = now,
            };
            Db.Resources.Add(row);
        }
        else
        {
            row.CfId = entry.CfId;
            row.SslStatus = entry.SslStatus ?? row.SslStatus;
            row.MetaJson = entry.MetaJson ?? row.MetaJson;
            row.UpdatedAt = now;
        }

        if (reports is not null)
        {
            foreach (var report in reports(row))
            {
                report.CreatedAt = now;
                report.NextAttemptAt = now;
                Db.Outbox.Add(report);
            }
        }

        await SaveAsync(cancellationToken);
        Services.GetRequiredService<OutboxSignal>().Notify();
        return row;
    }

    /// <summary>Marks a ledger row deleted and queues its reports in one transaction.</summary>
    public async Task MarkDeletedAsync(CfResourceRecord row, Func<CfResourceRecord, IEnumerable<RegistryOutboxRecord>>? reports, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        var now = Now;
        row.Status = CfResourceStatuses.Deleted;
        row.DeletedByJobId = Job.Id;
        row.DeletedAt = now;
        row.UpdatedAt = now;
        if (reports is not null)
        {
            foreach (var report in reports(row))
            {
                report.CreatedAt = now;
                report.NextAttemptAt = now;
                Db.Outbox.Add(report);
            }
        }

        await SaveAsync(cancellationToken);
        Services.GetRequiredService<OutboxSignal>().Notify();
    }

    /// <summary>Queues Registry reports without a ledger change (secret metadata, custom domain state).</summary>
    public async Task ReportAsync(IEnumerable<RegistryOutboxRecord> reports, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var now = Now;
        foreach (var report in reports)
        {
            report.CreatedAt = now;
            report.NextAttemptAt = now;
            Db.Outbox.Add(report);
        }

        await SaveAsync(cancellationToken);
        Services.GetRequiredService<OutboxSignal>().Notify();
    }
}

/// <summary>What goes into a ledger row.</summary>
internal sealed record LedgerEntry(string Kind, string Name, string CfId, string? Environment, string? StackId = null, string? FeatureId = null, string? CustomDomainId = null, string? SslStatus = null, string? MetaJson = null);
