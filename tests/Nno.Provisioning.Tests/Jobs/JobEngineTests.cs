using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Steps;
using Nno.Provisioning.Tests.Support;

namespace Nno.Provisioning.Tests.Jobs;

public sealed class JobEngineTests
{
    private const string Path = "/api/v1/provision/platform";

    [Fact]
    public async Task ProvisionPlatform_RunsSevenStepsInOrder_AndReportsQueuedRunningCompletedInOrder()
    {
        await using var host = await ProvisioningHost.StartAsync();
        using var registry = await host.RegistryClientAsync();

        using var response = await registry.PostAsJsonAsync(new Uri(Path, UriKind.Relative), ProvisioningHost.ProvisionBody("aaaaaaaaaa"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await ProvisioningHost.JsonAsync(response);
        Assert.Equal("QUEUED", accepted.GetProperty("status").GetString());
        var jobId = accepted.GetProperty("jobId").GetString()!;

        await host.UntilStatusAsync(jobId, JobStatuses.Completed);
        Assert.Equal<string>(
            ["create_auth_d1", "migrate_auth_d1", "upload_auth_worker", "set_auth_secrets", "register_auth_hostname", "create_shell_pages_project", "register_console_hostname"],
            host.Steps.Calls.Select(c => c["run:".Length..]).ToArray());

        using var job = await registry.GetAsync(new Uri($"/api/v1/provision/jobs/{jobId}", UriKind.Relative));
        var view = await ProvisioningHost.JsonAsync(job);
        Assert.Equal(7, view.GetProperty("steps").GetArrayLength());
        Assert.All(view.GetProperty("steps").EnumerateArray(), s => Assert.Equal("COMPLETED", s.GetProperty("status").GetString()));
        Assert.False(view.GetProperty("params").TryGetProperty("billingEmail", out _));

        await host.UntilAsync(() => Task.FromResult(host.Registry.Calls.Count(c => c.Path.EndsWith("/provision-events", StringComparison.Ordinal)) >= 3), "three events");
        var events = host.Registry.Calls.Where(c => c.Path == "/api/v1/platforms/aaaaaaaaaa/provision-events").Select(c => System.Text.Json.JsonDocument.Parse(c.Body!).RootElement.GetProperty("status").GetString()!).ToArray();
        Assert.Equal<string>(["QUEUED", "RUNNING", "COMPLETED"], events);
        Assert.All(host.Registry.Calls, c => Assert.StartsWith("prov-outbox:", c.IdempotencyKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SameBodyWhileRunning_CoalescesOntoTheSameJob_AndSameKeyOtherBodyIsConflict()
    {
        var gate = new TaskCompletionSource();
        var steps = new ScriptedSteps();
        steps.Run["create_auth_d1"] = async (_, _, _) => { await gate.Task; return StepOutcome.Done; };
        await using var host = await ProvisioningHost.StartAsync(steps: steps);
        using var registry = await host.RegistryClientAsync();

        var first = await ProvisioningHost.PostJobAsync(registry, Path, ProvisioningHost.ProvisionBody("bbbbbbbbbb"));
        await host.UntilStatusAsync(first, JobStatuses.Running);
        var second = await ProvisioningHost.PostJobAsync(registry, Path, ProvisioningHost.ProvisionBody("bbbbbbbbbb"));
        Assert.Equal(first, second);

        using var keyed = new HttpRequestMessage(HttpMethod.Post, Path) { Content = JsonContent.Create(ProvisioningHost.ProvisionBody("cccccccccc")) };
        keyed.Headers.Add("Idempotency-Key", "k-1");
        using var r1 = await registry.SendAsync(keyed);
        Assert.Equal(HttpStatusCode.Accepted, r1.StatusCode);
        using var other = new HttpRequestMessage(HttpMethod.Post, Path) { Content = JsonContent.Create(ProvisioningHost.ProvisionBody("dddddddddd")) };
        other.Headers.Add("Idempotency-Key", "k-1");
        using var r2 = await registry.SendAsync(other);
        Assert.Equal(HttpStatusCode.Conflict, r2.StatusCode);
        gate.SetResult();
        await host.UntilStatusAsync(first, JobStatuses.Completed);
    }

    [Fact]
    public async Task JobsOfOneLane_RunOneAfterTheOther_WhileAnotherEnvironmentRunsAtTheSameTime()
    {
        var gate = new TaskCompletionSource();
        var steps = new ScriptedSteps();
        steps.Run["create_auth_d1"] = async (context, _, _) =>
        {
            if (context.Job.Environment == "prod" && context.Job.Type == JobTypes.ProvisionPlatform && !gate.Task.IsCompleted)
            {
                await gate.Task;
            }

            return StepOutcome.Done;
        };
        await using var host = await ProvisioningHost.StartAsync(steps: steps);
        using var registry = await host.RegistryClientAsync();

        var prod = await ProvisioningHost.PostJobAsync(registry, Path, ProvisioningHost.ProvisionBody("eeeeeeeeee", "prod"));
        await host.UntilStatusAsync(prod, JobStatuses.Running);
        var stg = await ProvisioningHost.PostJobAsync(registry, Path, ProvisioningHost.ProvisionBody("eeeeeeeeee", "stg"));
        await host.UntilStatusAsync(stg, JobStatuses.Completed);
        var redeploy = await ProvisioningHost.PostJobAsync(registry, "/api/v1/provision/platform/auth-worker/redeploy", new { platformId = "eeeeeeeeee", environment = "prod" });
        for (var i = 0; i < 20; i++)
        {
            host.Platform.Time.Advance(TimeSpan.FromMilliseconds(200));
            await Task.Delay(10);
        }

        Assert.Equal(JobStatuses.Queued, await host.StatusAsync(redeploy));
        Assert.Equal(0, await host.WithDbAsync(db => db.Jobs.Where(j => j.Id == redeploy).Select(j => j.Attempts).SingleAsync()));
        Assert.True(await host.WithDbAsync(db => db.Jobs.Where(j => j.Id == redeploy).Select(j => j.Deferrals).SingleAsync()) > 0);
        gate.SetResult();
        await host.UntilStatusAsync(prod, JobStatuses.Completed);
        // The redeploy runs (after prod) with its real steps; without an emulator behind them it ends rolled back.
        await host.UntilAsync(async () => JobStatuses.Terminal.Contains(await host.StatusAsync(redeploy)), "the redeploy to finish");
    }

    [Fact]
    public async Task TransientFailures_RetryTheStep_NoSoonerThanRetryAfter()
    {
        var steps = new ScriptedSteps();
        steps.Run["upload_auth_worker"] = (_, n, _) => n <= 2
            ? throw StepFailureException.Transient(JobErrorCodes.CfApiError, "500 from Cloudflare", TimeSpan.FromSeconds(7))
            : Task.FromResult(StepOutcome.Done);
        await using var host = await ProvisioningHost.StartAsync(steps: steps);
        using var registry = await host.RegistryClientAsync();

        var jobId = await ProvisioningHost.PostJobAsync(registry, Path, ProvisioningHost.ProvisionBody("ffffffffff"));
        await host.UntilAsync(() => Task.FromResult(steps.CountOf("run:upload_auth_worker") == 1), "the first upload");
        var failedAt = host.Platform.Time.GetUtcNow();
        await host.UntilAsync(() => Task.FromResult(steps.CountOf("run:upload_auth_worker") == 2), "the second upload", TimeSpan.FromMilliseconds(250));
        Assert.True(host.Platform.Time.GetUtcNow() - failedAt >= TimeSpan.FromSeconds(7));
        await host.UntilStatusAsync(jobId, JobStatuses.Completed, TimeSpan.FromMilliseconds(500));

        var step = await host.WithDbAsync(db => db.Steps.SingleAsync(s => s.JobId == jobId && s.Name == "upload_auth_worker"));
        Assert.Equal(3, step.Attempts);
        Assert.Equal(1, steps.CountOf("run:create_auth_d1"));
    }

    [Fact]
    public async Task Deferrals_DoNotCountAsAttempts()
    {
        var steps = new ScriptedSteps();
        steps.Run["set_auth_secrets"] = (_, n, _) => n <= 3
            ? throw StepFailureException.Deferral(JobErrorCodes.CfApiError, "budget empty")
            : Task.FromResult(StepOutcome.Done);
        await using var host = await ProvisioningHost.StartAsync(steps: steps);
        using var registry = await host.RegistryClientAsync();

        var jobId = await ProvisioningHost.PostJobAsync(registry, Path, ProvisioningHost.ProvisionBody("gggggggggg"));
        await host.UntilStatusAsync(jobId, JobStatuses.Completed);

        var (job, step) = await host.WithDbAsync(async db => (await db.Jobs.SingleAsync(j => j.Id == jobId), await db.Steps.SingleAsync(s => s.JobId == jobId && s.Name == "set_auth_secrets")));
        Assert.Equal(3, job.Deferrals);
        Assert.Equal(1, job.Attempts);
        Assert.Equal(1, step.Attempts);
        Assert.Empty(await host.WithDbAsync(db => db.DeadLetters.ToListAsync()));
    }

    [Fact]
    public async Task PermanentFailure_RollsBackInReverse_OnlyWhatThisJobCreated_ThenRetryStartsRunTwo()
    {
        var steps = new ScriptedSteps();
        steps.Run["create_auth_d1"] = async (context, _, _) =>
        {
            await context.BeforeCreateAsync(CancellationToken.None);
            context.Step.CfId = "d1-uuid";
            context.Step.CreatedByJob = true;
            return StepOutcome.Done;
        };
        steps.Run["upload_auth_worker"] = (context, _, _) =>
        {
            // Adopted: found by the check before any create call.
            context.Step.CfId = "worker";
            context.Step.CreatedByJob = false;
            return Task.FromResult(StepOutcome.Done);
        };
        steps.Run["register_auth_hostname"] = (context, _, _) => context.Job.RunNumber == 1
            ? throw StepFailureException.Permanent(JobErrorCodes.CfApiError, "400 on the route")
            : Task.FromResult(StepOutcome.Done);
        await using var host = await ProvisioningHost.StartAsync(steps: steps);
        using var registry = await host.RegistryClientAsync();
        using var op = host.Operator();

        var jobId = await ProvisioningHost.PostJobAsync(registry, Path, ProvisioningHost.ProvisionBody("hhhhhhhhhh"));
        await host.UntilStatusAsync(jobId, JobStatuses.RolledBack);

        var undos = steps.Calls.Where(c => c.StartsWith("undo:", StringComparison.Ordinal)).ToArray();
        // Steps with a resource that this job neither created nor tried to create are SKIPPED without an undo call.
        Assert.Equal(["undo:migrate_auth_d1", "undo:create_auth_d1"], undos);
        var rows = await host.WithDbAsync(db => db.Steps.Where(s => s.JobId == jobId).OrderBy(s => s.Seq).ToListAsync());
        Assert.Equal(StepStatuses.Skipped, rows[2].Status);
        Assert.Equal(StepStatuses.Undone, rows[0].Status);
        Assert.Empty(await host.WithDbAsync(db => db.DeadLetters.ToListAsync()));

        using (var retry = await op.PostAsync(new Uri($"/api/v1/provision/jobs/{jobId}/retry", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        }

        await host.UntilStatusAsync(jobId, JobStatuses.Completed);
        Assert.Equal(2, await host.WithDbAsync(db => db.Jobs.Where(j => j.Id == jobId).Select(j => j.RunNumber).SingleAsync()));
        using var again = await op.PostAsync(new Uri($"/api/v1/provision/jobs/{jobId}/retry", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("INVALID_TRANSITION", (await ProvisioningHost.JsonAsync(again)).GetProperty("error").GetProperty("code").GetString());
        await host.UntilAsync(
            () => Task.FromResult(host.Registry.Calls.Any(c => c.Body?.Contains("\"runNumber\":2", StringComparison.Ordinal) == true && c.Body.Contains("COMPLETED", StringComparison.Ordinal))),
            "run 2's COMPLETED event");
    }

    [Fact]
    public async Task RetriesExhausted_DeadLetters_RollsBack_AndReplayWorksOnce()
    {
        var failing = true;
        var steps = new ScriptedSteps();
        steps.Run["migrate_auth_d1"] = (_, _, _) => failing
            ? throw StepFailureException.Transient(JobErrorCodes.CfApiError, "500 on every call")
            : Task.FromResult(StepOutcome.Done);
        await using var host = await ProvisioningHost.StartAsync(steps: steps);
        using var registry = await host.RegistryClientAsync();
        using var op = host.Operator();

        var jobId = await ProvisioningHost.PostJobAsync(registry, Path, ProvisioningHost.ProvisionBody("iiiiiiiiii"));
        await host.UntilStatusAsync(jobId, JobStatuses.RolledBack, TimeSpan.FromMilliseconds(300));
        Assert.Equal(6, steps.CountOf("run:migrate_auth_d1"));
        var job = await host.WithDbAsync(db => db.Jobs.SingleAsync(j => j.Id == jobId));
        Assert.Equal(JobErrorCodes.RetriesExhausted, job.ErrorCode);
        await host.UntilAsync(() => Task.FromResult(host.Registry.Calls.Any(c => c.Body?.Contains("RETRIES_EXHAUSTED", StringComparison.Ordinal) == true)), "the FAILED event with its error");

        using var list = await op.GetAsync(new Uri("/api/v1/provision/dlq?includeTotal=true", UriKind.Relative));
        var page = await ProvisioningHost.JsonAsync(list);
        Assert.Equal(1, page.GetProperty("pagination").GetProperty("total").GetInt32());
        var letter = page.GetProperty("data")[0];
        Assert.Equal(jobId, letter.GetProperty("jobId").GetString());
        Assert.Equal("forward", letter.GetProperty("phase").GetString());

        failing = false;
        var dlqId = letter.GetProperty("id").GetString();
        using (var replay = await op.PostAsync(new Uri($"/api/v1/provision/dlq/{dlqId}/replay", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        }

        await host.UntilStatusAsync(jobId, JobStatuses.Completed);
        using var twice = await op.PostAsync(new Uri($"/api/v1/provision/dlq/{dlqId}/replay", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
    }

    [Fact]
    public async Task CrashedRun_IsResumedByTheSweeper_AfterItsLeaseExpires()
    {
        var blocked = new TaskCompletionSource();
        var steps = new ScriptedSteps();
        steps.Run["set_auth_secrets"] = async (_, n, token) =>
        {
            if (n == 1)
            {
                // Never returns on its own: only the host stopping ends it, as a crash would.
                blocked.TrySetResult();
                await Task.Delay(Timeout.Infinite, token);
            }

            return StepOutcome.Done;
        };
        var first = await ProvisioningHost.StartAsync(steps: steps);
        string jobId;
        var dataDir = first.Platform.DataDirectory;
        var time = first.Platform.Time;
        using (var registry = await first.RegistryClientAsync())
        {
            jobId = await ProvisioningHost.PostJobAsync(registry, Path, ProvisioningHost.ProvisionBody("jjjjjjjjjj"));
            await first.UntilAsync(() => Task.FromResult(blocked.Task.IsCompleted), "the step to start");
        }

        // The process dies mid-step (the step never returns): stop without settling anything.
        await first.Platform.StopKeepingDataAsync();
        await using var second = await ProvisioningHost.StartAsync(steps: steps, dataDir: dataDir, time: time);
        await second.UntilStatusAsync(jobId, JobStatuses.Completed, TimeSpan.FromSeconds(5));
        Assert.Equal(1, steps.CountOf("run:create_auth_d1"));
        Assert.Equal(2, steps.CountOf("run:set_auth_secrets"));
    }
}
