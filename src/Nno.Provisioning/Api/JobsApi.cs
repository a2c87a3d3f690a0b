using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Core.Ids;
using Nno.Core.Pagination;
using Nno.Core.Services;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.ServiceDefaults.Idempotency;
using Nno.ServiceDefaults.Limits;
using Nno.ServiceDefaults.Paging;
using Nno.ServiceDefaults.Security;

namespace Nno.Provisioning.Api;

/// <summary>P10–P14: job reads (Registry, operators, users of the platform), retry and the dead letters (operators).</summary>
internal static class JobsApi
{
    public static IEndpointRouteBuilder MapJobReads(this IEndpointRouteBuilder app)
    {
        var jobs = app.MapGroup(ProvisionApi.BasePath + "/jobs").WithTags("Provisioning jobs");
        jobs.MapGet("", ListAsync).AllowServices(NnoServices.Registry)
            .WithName("ListProvisionJobs").WithSummary("P10: jobs, newest first; filters platformId (required for users), status, type, environment.");
        jobs.MapGet("/{jobId}", GetAsync).AllowServices(NnoServices.Registry)
            .WithName("GetProvisionJob").WithSummary("P11: one job with its steps.");
        jobs.MapPost("/{jobId}/retry", RetryAsync).AllowServices().WithIdempotency().WithRequestBodyLimit(ProvisionApi.MaxBodyBytes)
            .WithName("RetryProvisionJob").WithSummary("P12 (operators): a new run from ROLLED_BACK or an irreversible FAILED, or resume a ROLLBACK_FAILED undo.");
        var dlq = app.MapGroup(ProvisionApi.BasePath + "/dlq").WithTags("Provisioning dead letters").AllowServices();
        dlq.MapGet("", ListDeadLettersAsync).WithName("ListDeadLetters").WithSummary("P13 (operators): dead-lettered job messages, newest first.");
        dlq.MapPost("/{deadLetterId}/replay", ReplayAsync).WithIdempotency().WithRequestBodyLimit(ProvisionApi.MaxBodyBytes)
            .WithName("ReplayDeadLetter").WithSummary("P14 (operators): P12 on the dead letter's job, once.");
        return app;
    }

    private static async Task<Ok<Page<JobView>>> ListAsync(
        HttpContext context, ProvisioningDbContext db, ProvisioningCursors cursors,
        [FromQuery] string? platformId, [FromQuery] string? status, [FromQuery] string? type, [FromQuery] string? environment, CancellationToken cancellationToken)
    {
        var principal = Callers.RequireReader(context);
        var rules = new FieldRules();
        if (platformId is not null)
        {
            rules.PlatformId(platformId);
        }
        else if (principal.Kind != PrincipalKind.Service && !principal.IsOperator)
        {
            rules.Add("platformId", "is required");
        }

        if (status is not null && !JobStatuses.All.Contains(status))
        {
            rules.Add("status", "must be one of " + string.Join(", ", JobStatuses.All));
        }

        if (type is not null && !JobTypes.All.Contains(type))
        {
            rules.Add("type", "must be one of " + string.Join(", ", JobTypes.All));
        }

        rules.OptionalEnvironment(environment);
        var page = ListCursors.ParseQuery(context.Request);
        rules.ThrowIfAny();
        if (platformId is not null && !Callers.MaySee(principal, platformId))
        {
            throw ApiException.NotFound("platform", "No such platform.");
        }

        var pager = cursors.Pager("jobs", ("platformId", platformId), ("status", status), ("type", type), ("environment", environment));
        var rows = db.Jobs.AsNoTracking();
        rows = platformId is null ? rows : rows.Where(j => j.PlatformId == platformId);
        rows = status is null ? rows : rows.Where(j => j.Status == status);
        rows = type is null ? rows : rows.Where(j => j.Type == type);
        rows = environment is null ? rows : rows.Where(j => j.Environment == environment);
        int? total = page.IncludeTotal ? await rows.CountAsync(cancellationToken) : null;
        if (pager.After(page) is { } after)
        {
            var (c, id) = (after.Expect(2).GetInt64(0), after.GetString(1));
            rows = rows.Where(j => j.CreatedAt < c || (j.CreatedAt == c && string.Compare(j.Id, id) < 0));
        }

        var fetched = await rows.OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id).Take(page.FetchCount).ToListAsync(cancellationToken);
        return TypedResults.Ok(pager.ToPage(fetched, page, j => CursorPosition.Of(j.CreatedAt, j.Id), j => JobView.From(j, null), total));
    }

    private static async Task<Ok<JobView>> GetAsync(string jobId, HttpContext context, ProvisioningDbContext db, CancellationToken cancellationToken)
    {
        var principal = Callers.RequireReader(context);
        var job = await FindAsync(db, jobId, cancellationToken);
        if (!Callers.MaySee(principal, job.PlatformId))
        {
            throw ApiException.NotFound("job", "No such job.");
        }

        var steps = await db.Steps.AsNoTracking().Where(s => s.JobId == jobId).OrderBy(s => s.Seq).ToListAsync(cancellationToken);
        return TypedResults.Ok(JobView.From(job, steps));
    }

    private static async Task<Accepted<JobAccepted>> RetryAsync(string jobId, HttpContext context, ProvisioningDbContext db, JobRetries retries, CancellationToken cancellationToken)
    {
        Callers.RequireOperator(context, Callers.WriteScope);
        var job = await db.Jobs.FirstOrDefaultAsync(j => j.Id == jobId, cancellationToken) ?? throw ApiException.NotFound("job", "No such job.");
        job = await retries.RetryAsync(job, null, cancellationToken);
        return TypedResults.Accepted($"{ProvisionApi.BasePath}/jobs/{job.Id}", new JobAccepted(job.Id, job.Status));
    }

    private static async Task<Ok<Page<DeadLetterView>>> ListDeadLettersAsync(HttpContext context, ProvisioningDbContext db, ProvisioningCursors cursors, CancellationToken cancellationToken)
    {
        Callers.RequireOperator(context, Callers.ReadScope);
        var page = ListCursors.ParseQuery(context.Request);
        var pager = cursors.Pager("dlq");
        var rows = db.DeadLetters.AsNoTracking();
        int? total = page.IncludeTotal ? await rows.CountAsync(cancellationToken) : null;
        if (pager.After(page) is { } after)
        {
            var (c, id) = (after.Expect(2).GetInt64(0), after.GetString(1));
            rows = rows.Where(d => d.DeadLetteredAt < c || (d.DeadLetteredAt == c && string.Compare(d.Id, id) < 0));
        }

        var fetched = await rows.OrderByDescending(d => d.DeadLetteredAt).ThenByDescending(d => d.Id).Take(page.FetchCount)
            .Join(db.Jobs, d => d.JobId, j => j.Id, (d, j) => new { d, j.PlatformId, j.Type })
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(pager.ToPage(
            fetched, page, x => CursorPosition.Of(x.d.DeadLetteredAt, x.d.Id),
            x => new DeadLetterView(x.d.Id, x.d.JobId, x.PlatformId, x.Type, x.d.Phase, x.d.RunNumber, x.d.LastError, x.d.Attempts,
                DateTimeOffset.FromUnixTimeMilliseconds(x.d.DeadLetteredAt), StepView.At(x.d.ReplayedAt)),
            total));
    }

    private static async Task<Accepted<JobAccepted>> ReplayAsync(string deadLetterId, HttpContext context, ProvisioningDbContext db, JobRetries retries, CancellationToken cancellationToken)
    {
        var principal = Callers.RequireOperator(context, Callers.WriteScope);
        var letter = await db.DeadLetters.FirstOrDefaultAsync(d => d.Id == deadLetterId, cancellationToken)
            ?? throw ApiException.NotFound("dead_letter", "No such dead letter.");
        if (letter.ReplayedAt is not null)
        {
            throw new ApiException(ErrorCodes.InvalidTransition, "This dead letter was already replayed.", new { replayedAt = DateTimeOffset.FromUnixTimeMilliseconds(letter.ReplayedAt.Value) });
        }

        var job = await db.Jobs.FirstAsync(j => j.Id == letter.JobId, cancellationToken);
        job = await retries.RetryAsync(job, () =>
        {
            letter.ReplayedAt = job.UpdatedAt;
            letter.ReplayedBy = Callers.RequestedBy(principal);
            return Task.CompletedTask;
        }, cancellationToken);
        return TypedResults.Accepted($"{ProvisionApi.BasePath}/jobs/{job.Id}", new JobAccepted(job.Id, job.Status));
    }

    private static async Task<ProvisionJobRecord> FindAsync(ProvisioningDbContext db, string jobId, CancellationToken cancellationToken) =>
        (IdFormat.IsPrefixedId(jobId, "job") ? await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId, cancellationToken) : null)
        ?? throw ApiException.NotFound("job", "No such job.");
}
