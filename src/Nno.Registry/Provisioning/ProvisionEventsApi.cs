using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Nno.Core.Errors;
using Nno.Core.Services;
using Nno.Registry.Access;
using Nno.Registry.Data;
using Nno.Registry.Fields;
using Nno.Registry.Objects;
using Nno.Registry.Platforms;
using Nno.Registry.Resources;
using Nno.ServiceDefaults.Security;

namespace Nno.Registry.Provisioning;

/// <summary>The error of a job event: <c>{code, message}</c>.</summary>
internal sealed record ProvisionEventError
{
    public string? Code { get; init; }

    public string? Message { get; init; }
}

/// <summary>Body of <c>POST /provision-events</c> (registry.md §3.8, provisioning.md §4.1).</summary>
internal sealed record ProvisionEventRequest
{
    public string? JobId { get; init; }

    public int? RunNumber { get; init; }

    public string? Status { get; init; }

    public ProvisionEventError? Error { get; init; }
}

/// <summary>The answer: how many objects reference the job.</summary>
internal sealed record ProvisionEventResult(int Matched);

/// <summary><c>POST /{pid}/provision-events</c> (internal, svc(provisioning)): job outcomes, applied by <see cref="JobTracker"/>.</summary>
internal static class ProvisionEventsApi
{
    public static IEndpointRouteBuilder MapProvisionEvents(this IEndpointRouteBuilder app)
    {
        app.MapPost(PlatformsApi.Path + "/{pid:pid}/provision-events", PostAsync)
            .WithTags("Job tracking").WithName("ReportProvisionEvent")
            .WithSummary("Internal (Provisioning): a job's status for one run; moves the objects that reference the job (404 job when none does).")
            .ServiceOnly(NnoServices.Provisioning);
        return app;
    }

    private static async Task<Ok<ProvisionEventResult>> PostAsync(
        string pid, ProvisionEventRequest body, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, CancellationToken cancellationToken)
    {
        await access.RequireAsync(context, pid, ResourcesApi.ServiceWrite, cancellationToken);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (body.JobId is null || !ReportRules.IsJobId(body.JobId))
        {
            problems["jobId"] = [ReportRules.JobIdRule];
        }

        if (body.RunNumber is not >= 1)
        {
            problems["runNumber"] = ["is required and must be at least 1"];
        }

        if (body.Status is null || !JobStatuses.Reported.Contains(body.Status))
        {
            problems["status"] = ["must be one of " + string.Join(", ", JobStatuses.Reported)];
        }

        if (body.Error is { } error)
        {
            if (error.Code is null || error.Code.Length is 0 or > 64 || !error.Code.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                problems["error.code"] = ["must be 1–64 characters A-Z a-z 0-9 _"];
            }

            if (error.Message is not null && (FieldRules.ReasonProblem(error.Message) is not null && error.Message.Trim().Length > 0 || error.Message.Length > 1000))
            {
                problems["error.message"] = ["must be at most 1000 characters without control or bidi-override characters"];
            }
        }

        ObjectLists.ThrowIfAny(problems);

        await uow.BeginAsync(cancellationToken);
        var matched = await JobTracker.ApplyAsync(uow, pid,
            new JobEvent(body.JobId!, body.RunNumber!.Value, body.Status!, body.Error?.Code, body.Error?.Message?.Trim() is { Length: > 0 } m ? m : null), cancellationToken);
        if (matched == 0)
        {
            throw ApiException.NotFound("job", "No object of this platform references the job.");
        }

        await uow.CommitAsync(cancellationToken);
        return TypedResults.Ok(new ProvisionEventResult(matched));
    }
}
