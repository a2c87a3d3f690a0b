using Microsoft.EntityFrameworkCore;
using Nno.Provisioning.Jobs;

namespace Nno.Provisioning.Tests.Platform;

/// <summary>PROVISION_PLATFORM under injected faults (provisioning.md §7 items 4–8, 10, 20).</summary>
public sealed class ProvisionFailureTests
{
    private const string Account = SandboxedProvisioning.AccountPath;

    [Fact]
    public async Task LostWorkerPutAnswer_AndConsumerRestart_CompleteWithoutASecondUpload_AndTheWorkerIsTheJobs()
    {
        await using var env = await SandboxedProvisioning.StartAsync();
        const string pid = "pb44444444";
        var scriptPath = $"/cloudflare/client/v4/{Account}/workers/scripts/{pid}-default-auth";
        await env.SetFaultsAsync(new { dropResponseRate = 1.0, pathRegex = $"workers/scripts/{pid}-default-auth$" });

        var jobId = await env.ProvisionAsync(pid);
        await env.UntilAsync(
            async () => (await env.StepsAsync(jobId)).Single(s => s.Name == "upload_auth_worker") is { CreateAttempts: 1, Status: StepStatuses.Pending, ErrorCode: not null },
            "the upload to fail without an answer");
        await env.ClearFaultsAsync();
        await env.RestartAsync();

        await env.UntilStatusAsync(jobId, JobStatuses.Completed);
        var puts = (await env.RequestsAsync()).Where(r => r.Method == "PUT" && r.Path == scriptPath).ToList();
        Assert.Single(puts);
        var step = (await env.StepsAsync(jobId)).Single(s => s.Name == "upload_auth_worker");
        Assert.True(step.CreatedByJob);
        Assert.Equal(1, step.CreateAttempts);
    }

    [Fact]
    public async Task PreExistingAuthDatabase_IsAdopted_AndSurvivesTheRollback()
    {
        await using var env = await SandboxedProvisioning.StartAsync();
        const string pid = "pb55555555";
        await env.CfAsync(HttpMethod.Post, $"{Account}/d1/database", new { name = $"{pid}-default-auth-db" });
        await env.SetFaultsAsync(new { failNext = new[] { new { method = "POST", pathRegex = "workers/routes$", status = 400, code = 10001, message = "bad route", count = 1 } } });

        var jobId = await env.ProvisionAsync(pid);
        await env.UntilStatusAsync(jobId, JobStatuses.RolledBack);

        var steps = await env.StepsAsync(jobId);
        var d1 = steps.Single(s => s.Name == "create_auth_d1");
        Assert.False(d1.CreatedByJob);
        Assert.Equal(0, d1.CreateAttempts);
        Assert.Equal(StepStatuses.Skipped, d1.Status);
        var state = await env.StateAsync();
        Assert.Contains($"{pid}-default-auth-db", state["d1"]);
        Assert.DoesNotContain($"{pid}-default-auth", state["workers"]);
    }

    [Fact]
    public async Task TwoServerErrorsOnTheHostnamePost_AreRetried_AndTheJobCompletes()
    {
        await using var env = await SandboxedProvisioning.StartAsync();
        const string pid = "pb66666666";
        await env.SetFaultsAsync(new { failNext = new[] { new { method = "POST", pathRegex = "custom_hostnames$", status = 500, code = 10001, message = "boom", count = 2 } } });

        var jobId = await env.ProvisionAsync(pid);
        await env.UntilStatusAsync(jobId, JobStatuses.Completed);

        var step = (await env.StepsAsync(jobId)).Single(s => s.Name == "register_auth_hostname");
        Assert.True(step.Attempts >= 2, $"attempts {step.Attempts}");
        Assert.True(step.CreatedByJob);
        Assert.Single((await env.StateAsync())["customHostnames"], h => h == $"auth.svc.default.{pid}.nno.run");
    }

    [Fact]
    public async Task PermanentRouteError_RollsBack_RemovingDatabaseWorkerSecretsAndHostname_WithoutADeadLetter()
    {
        await using var env = await SandboxedProvisioning.StartAsync();
        const string pid = "pb77777777";
        await env.SetFaultsAsync(new { failNext = new[] { new { method = "POST", pathRegex = "workers/routes$", status = 400, code = 10001, message = "bad route", count = 1 } } });

        var jobId = await env.ProvisionAsync(pid);
        await env.UntilStatusAsync(jobId, JobStatuses.RolledBack);

        var state = await env.StateAsync();
        Assert.DoesNotContain(state["d1"], n => n.StartsWith(pid, StringComparison.Ordinal));
        Assert.DoesNotContain(state["workers"], n => n.StartsWith(pid, StringComparison.Ordinal));
        Assert.DoesNotContain(state["customHostnames"], n => n.Contains(pid, StringComparison.Ordinal));
        var steps = await env.StepsAsync(jobId);
        Assert.Equal(StepStatuses.Undone, steps.Single(s => s.Name == "set_auth_secrets").Status);
        Assert.Equal(StepStatuses.Undone, steps.Single(s => s.Name == "register_auth_hostname").Status);
        Assert.Contains(await env.RequestsAsync(), r => r.Method == "DELETE" && r.Path.EndsWith("/secrets/BETTER_AUTH_SECRET", StringComparison.Ordinal));
        Assert.Empty(await env.WithDbAsync(db => db.DeadLetters.ToListAsync()));
        Assert.All(await env.LedgerAsync(pid), r => Assert.Equal("deleted", r.Status));
        var job = await env.JobAsync(jobId);
        Assert.Equal(JobErrorCodes.CfApiError, job.ErrorCode);
        Assert.Equal("register_auth_hostname", job.ErrorStep);
    }

    [Fact]
    public async Task SixServerErrorsSpreadOverTwoSteps_DoNotDeadLetter_BecauseEachStepGetsItsOwnFiveRetries()
    {
        await using var env = await SandboxedProvisioning.StartAsync();
        const string pid = "pb12121212";
        // Three on the D1 create, three on the Worker upload: six failures on what is one queue message (no deferral
        // between them), so the queue's own delivery count would have dead-lettered it at the sixth.
        await env.SetFaultsAsync(new
        {
            failNext = new[]
            {
                new { method = "POST", pathRegex = "d1/database$", status = 500, code = 10001, message = "boom", count = 3 },
                new { method = "PUT", pathRegex = $"workers/scripts/{pid}-default-auth$", status = 500, code = 10001, message = "boom", count = 3 },
            },
        });

        var jobId = await env.ProvisionAsync(pid);
        await env.UntilStatusAsync(jobId, JobStatuses.Completed);

        var job = await env.JobAsync(jobId);
        Assert.Equal(1 + 6, job.Attempts);
        Assert.Equal(0, job.Deferrals);
        var steps = await env.StepsAsync(jobId);
        Assert.Equal(4, steps.Single(s => s.Name == "create_auth_d1").Attempts);
        Assert.Equal(4, steps.Single(s => s.Name == "upload_auth_worker").Attempts);
        Assert.Empty(await env.WithDbAsync(db => db.DeadLetters.ToListAsync()));
    }

    [Fact]
    public async Task ServerErrorsWith429sBetweenThem_StillDeadLetterAtTheSixthError_The429sSpendNoRetryAndResetNothing()
    {
        await using var env = await SandboxedProvisioning.StartAsync();
        const string pid = "pb13131313";
        // 500, 429, 500, 429, … on the hostname POST: every 429 is a deferral with a fresh queue message.
        var rules = Enumerable.Range(0, 11)
            .Select(i => new { method = "POST", pathRegex = "custom_hostnames$", status = i % 2 == 0 ? 500 : 429, code = i % 2 == 0 ? 10001 : 971, message = "injected", count = 1 })
            .ToArray();
        await env.SetFaultsAsync(new { failNext = rules });

        var jobId = await env.ProvisionAsync(pid);
        // A 429 without Retry-After pauses the token for 300 s (§4.5): move the clock in large steps.
        await env.UntilStatusAsync(jobId, JobStatuses.RolledBack, TimeSpan.FromSeconds(20));

        var job = await env.JobAsync(jobId);
        Assert.Equal(JobErrorCodes.RetriesExhausted, job.ErrorCode);
        Assert.Equal("register_auth_hostname", job.ErrorStep);
        var letter = Assert.Single(await env.WithDbAsync(db => db.DeadLetters.ToListAsync()));
        Assert.Equal((JobPhases.Forward, 6), (letter.Phase, letter.Attempts));
        var posts = (await env.RequestsAsync()).Where(r => r.Method == "POST" && r.Path.EndsWith("/custom_hostnames", StringComparison.Ordinal)).ToList();
        Assert.Equal(6, posts.Count(r => r.Status == 500));
        Assert.Equal(5, posts.Count(r => r.Status == 429));
        Assert.DoesNotContain(posts, r => r.Status < 300);
    }

    [Fact]
    public async Task ServerErrorOnEveryCallOfOneStep_RetriesFiveTimes_DeadLetters_AndRollsBack()
    {
        await using var env = await SandboxedProvisioning.StartAsync();
        const string pid = "pb88888888";
        await env.SetFaultsAsync(new { errorRate = 1.0, errorStatus = 500, pathRegex = "pages/projects" });

        var jobId = await env.ProvisionAsync(pid);
        await env.UntilStatusAsync(jobId, JobStatuses.RolledBack, TimeSpan.FromMilliseconds(300));

        var job = await env.JobAsync(jobId);
        Assert.Equal(JobErrorCodes.RetriesExhausted, job.ErrorCode);
        var gets = (await env.RequestsAsync()).Count(r => r.Method == "GET" && r.Path.EndsWith($"/pages/projects/{pid}-prod-portal", StringComparison.Ordinal));
        Assert.Equal(6, gets);
        var letter = Assert.Single(await env.WithDbAsync(db => db.DeadLetters.ToListAsync()));
        Assert.Equal(jobId, letter.JobId);
        Assert.Contains(env.Logs.Lines, l => l.Contains("provisioning.job.dead_lettered", StringComparison.Ordinal) && l.Contains(jobId, StringComparison.Ordinal));
        await env.UntilAsync(() => Task.FromResult(env.Registry.Calls.Any(c => c.Path.EndsWith("/provision-events", StringComparison.Ordinal)
            && c.Body!.Contains("\"FAILED\"", StringComparison.Ordinal) && c.Body.Contains("RETRIES_EXHAUSTED", StringComparison.Ordinal))), "the FAILED event with its error");
        await env.UntilAsync(() => Task.FromResult(env.Registry.Calls.Any(c => c.Body?.Contains("\"ROLLED_BACK\"", StringComparison.Ordinal) == true)), "the ROLLED_BACK event");
        Assert.DoesNotContain((await env.StateAsync())["workers"], n => n.StartsWith(pid, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cloudflare429_DefersTheJobForRetryAfter_WithoutAnAttempt()
    {
        await using var env = await SandboxedProvisioning.StartAsync();
        const string pid = "pb10101010";
        await env.SetFaultsAsync(new { rateLimitRate = 1.0, retryAfterSeconds = 7, pathRegex = "pages/projects" });

        var jobId = await env.ProvisionAsync(pid);
        EmulatorRequest? limited = null;
        await env.UntilAsync(async () => (limited = (await env.RequestsAsync()).FirstOrDefault(r => r.Status == 429)) is not null, "the 429");
        await env.ClearFaultsAsync();
        await env.UntilStatusAsync(jobId, JobStatuses.Completed, TimeSpan.FromMilliseconds(250));

        var next = (await env.RequestsAsync()).First(r => r.Seq > limited!.Seq);
        Assert.True(next.At - limited!.At >= TimeSpan.FromSeconds(7), $"next call {next.At - limited.At} after the 429");
        var job = await env.JobAsync(jobId);
        Assert.Equal(1, job.Attempts);
        Assert.True(job.Deferrals >= 1);
        Assert.Equal(1, (await env.StepsAsync(jobId)).Single(s => s.Name == "create_shell_pages_project").Attempts);
    }

    [Fact]
    public async Task WithTheBudgetUnderTheRealLimit_TheServiceNeverReceivesA429()
    {
        await using var env = await SandboxedProvisioning.StartAsync(new Dictionary<string, string?>
        {
            ["Cloudflare:RequestBudget"] = "18",
            ["Cloudflare:RequestBudgetWindowSeconds"] = "300",
        });
        await env.SetFaultsAsync(new { rateLimit = new { limit = 20, windowSeconds = 300, blockSeconds = 300 } });

        var jobId = await env.ProvisionAsync("pb20202020");
        await env.UntilStatusAsync(jobId, JobStatuses.Completed, TimeSpan.FromSeconds(2));

        var requests = await env.RequestsAsync();
        Assert.True(requests.Count > 18, $"{requests.Count} calls");
        Assert.DoesNotContain(requests, r => r.Status == 429);
        Assert.True((await env.JobAsync(jobId)).Deferrals >= 1);
    }

    [Fact]
    public async Task TwoConsumersOfTheSameMessage_MakeNoDuplicateCreateCalls()
    {
        await using var env = await SandboxedProvisioning.StartAsync();
        const string pid = "pb21212121";

        var jobId = await env.ProvisionAsync(pid);
        await env.WithDbAsync(async db =>
        {
            var queue = env.Platform.Host.Apps[Nno.Core.Services.NnoServices.Provisioning].Services.GetService(typeof(JobQueue)) as JobQueue;
            await queue!.SendAsync(jobId, 1, JobPhases.Forward, null, CancellationToken.None);
            await queue.SendAsync(jobId, 1, JobPhases.Forward, null, CancellationToken.None);
            return 0;
        });
        await env.UntilStatusAsync(jobId, JobStatuses.Completed);
        // The duplicates are acked (live lease elsewhere, or a finished job): give them time to be handled.
        for (var i = 0; i < 20; i++)
        {
            env.Time.Advance(TimeSpan.FromMilliseconds(200));
            await Task.Delay(10);
        }

        var writes = (await env.RequestsAsync()).Where(r => r.Method is "POST" or "PUT" && !r.Path.EndsWith("/query", StringComparison.Ordinal)).ToList();
        var duplicates = writes.GroupBy(r => r.Method + " " + r.Path + r.Query).Where(g => g.Count() > 1 && !g.Key.Contains("custom_hostnames", StringComparison.Ordinal)).ToList();
        Assert.Empty(duplicates);
        Assert.Equal(2, writes.Count(r => r.Path.EndsWith("/custom_hostnames", StringComparison.Ordinal)));
        Assert.Single(writes, r => r.Method == "POST" && r.Path.EndsWith("/d1/database", StringComparison.Ordinal));
    }
}
