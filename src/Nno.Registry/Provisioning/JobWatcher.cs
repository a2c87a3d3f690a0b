using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Core.Errors;
using Nno.Registry.Data;
using Nno.Registry.Objects;
using Nno.Registry.Outbox;
using Nno.ServiceDefaults.Jobs;

namespace Nno.Registry.Provisioning;

/// <summary>Job watcher settings (<c>Registry:Workers:*</c>, registry.md §4.4, §4.6).</summary>
internal sealed class JobWatcherOptions
{
    public const string Section = "Registry:Workers";

    /// <summary>How often the watcher runs (30 s).</summary>
    [Range(1, 86_400)]
    public int JobWatcherSeconds { get; set; } = 30;

    /// <summary>An in-flight job quiet this long is polled (60 s).</summary>
    [Range(1, 86_400)]
    public int JobQuietSeconds { get; set; } = 60;

    /// <summary>How long Provisioning may answer 404 <c>resource: "job"</c> before the objects fail with <c>JOB_LOST</c> (10 min).</summary>
    [Range(1, 1_440)]
    public int JobLostMinutes { get; set; } = 10;

    /// <summary>Jobs polled per run.</summary>
    [Range(1, 1000)]
    public int JobWatcherBatch { get; set; } = 100;
}

/// <summary>
/// The job watcher (registry.md §4.4): for in-flight jobs with no news for <see cref="JobWatcherOptions.JobQuietSeconds"/>,
/// reads the job from Provisioning (P11) and applies its status like an event, so objects converge when callbacks are
/// late or lost. A 404 with <c>details.resource: "job"</c> for <see cref="JobWatcherOptions.JobLostMinutes"/> fails the
/// objects with <c>JOB_LOST</c>; a 404 without it (a missing route) is logged as an error and never taken as a lost job.
/// </summary>
internal sealed partial class JobWatcher(
    RegistryDbContext db, IServiceScopeFactory scopes, ProvisioningClient provisioning, TimeProvider time, IOptions<JobWatcherOptions> options,
    ILogger<JobWatcher> logger) : IPeriodicJob
{
    public const string Name = "registry.job-watcher";

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var quietBefore = now - (settings.JobQuietSeconds * 1000L);
        var checkedBefore = now - (settings.JobWatcherSeconds * 1000L) + 1;
        var due = await db.ProvisionJobs.AsNoTracking()
            .Where(j => j.InFlight && j.UpdatedAt <= quietBefore && (j.CheckedAt == null || j.CheckedAt < checkedBefore))
            .OrderBy(j => j.UpdatedAt).Take(settings.JobWatcherBatch)
            .ToListAsync(cancellationToken);
        foreach (var job in due)
        {
            await CheckAsync(job, now, settings, cancellationToken);
        }

        return due.Count;
    }

    private async Task CheckAsync(ProvisionJobRecord job, long now, JobWatcherOptions settings, CancellationToken cancellationToken)
    {
        JobEvent? outcome = null;
        long? notFoundSince = null;
        try
        {
            using var response = await provisioning.GetJobAsync(job.JobId, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                var read = await ProvisioningClient.JobOfAsync(response, cancellationToken);
                if (read?.Status is { } status && read.RunNumber >= 1)
                {
                    outcome = new JobEvent(job.JobId, read.RunNumber, Normalise(status), read.Error?.Code, read.Error?.Message);
                }
                else
                {
                    LogUnreadable(logger, job.JobId);
                }
            }
            else if (response.StatusCode == HttpStatusCode.NotFound)
            {
                var answer = await OutboxHttp.ClassifyAsync(response, doneResource: "job", time, cancellationToken);
                if (answer.Outcome == OutboxHttpOutcome.NothingToDo)
                {
                    notFoundSince = job.NotFoundSince ?? now;
                    if (now - notFoundSince >= settings.JobLostMinutes * 60_000L)
                    {
                        outcome = new JobEvent(job.JobId, Math.Max(job.RunNumber, 1), JobStatuses.Failed, "JOB_LOST",
                            $"Provisioning has not known the job for {settings.JobLostMinutes} minutes.");
                    }
                }
                else
                {
                    LogMissingRoute(logger, job.JobId, answer.Error);
                }
            }
            else
            {
                LogUnavailable(logger, job.JobId, (int)response.StatusCode);
            }
        }
        catch (HttpRequestException ex)
        {
            LogUnreachable(logger, job.JobId, ex.Message);
        }
        catch (ApiException ex) when (ex.Code == ErrorCodes.ServiceUnavailable)
        {
            LogUnreachable(logger, job.JobId, ex.Message);
        }

        await using var scope = scopes.CreateAsyncScope();
        await using var uow = scope.ServiceProvider.GetRequiredService<RegistryUnitOfWork>();
        await uow.BeginAsync(cancellationToken);
        if (outcome is not null)
        {
            await JobTracker.ApplyAsync(uow, job.PlatformId, outcome, cancellationToken);
        }

        var lost = outcome?.ErrorCode == "JOB_LOST";
        await uow.Db.ProvisionJobs.Where(j => j.JobId == job.JobId).ExecuteUpdateAsync(
            s => s.SetProperty(j => j.CheckedAt, now).SetProperty(j => j.NotFoundSince, lost ? null : notFoundSince)
                .SetProperty(j => j.InFlight, j => lost ? false : j.InFlight),
            cancellationToken);
        await uow.CommitAsync(cancellationToken);
    }

    /// <summary>P11 statuses the events never carry: PENDING waits like QUEUED, ROLLING_BACK has failed already.</summary>
    private static string Normalise(string status) => status switch
    {
        JobStatuses.Pending => JobStatuses.Queued,
        JobStatuses.RollingBack => JobStatuses.Failed,
        _ => status,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: Provisioning's answer could not be read")]
    private static partial void LogUnreadable(ILogger logger, string jobId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: a 404 without details.resource 'job' (missing route?), not taken as a lost job: {Error}")]
    private static partial void LogMissingRoute(ILogger logger, string jobId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: Provisioning answered {Status}; polled again later")]
    private static partial void LogUnavailable(ILogger logger, string jobId, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: Provisioning not reachable ({Error}); polled again later")]
    private static partial void LogUnreachable(ILogger logger, string jobId, string error);
}
