using Microsoft.EntityFrameworkCore;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Tests.Platform;
using Xunit.Abstractions;

namespace Nno.Provisioning.Tests.Acceptance;

/// <summary>
/// The issue-6 fault acceptance test: PROVISION_PLATFORM jobs against an emulator that fails 30 % of calls and throttles
/// with 429 (provisioning.md §4.4, §4.5).
/// </summary>
public sealed class FaultTests(ITestOutputHelper output)
{
    private const int Jobs = 10;

    /// <summary><c>max_retries</c> of <c>provision-queue</c> (provisioning.md §4.4).</summary>
    private const int MaxRetries = 5;

    [Fact]
    public async Task UnderThirtyPercentErrorsAnd429s_EveryBootstrapCompletesOrIsDeadLetteredAndRolledBackClean_And429sSpendNoRetries()
    {
        await using var env = await SandboxedProvisioning.StartAsync(new Dictionary<string, string?>
        {
            // The SSL poller's calls would draw faults too and are no job's attempts: keep it out of the window.
            ["Provisioning:SslPollSeconds"] = "86400",
        });
        // Faults go in before the first job so every Cloudflare call of every job, forward and rollback, is exposed.
        await env.SetFaultsAsync(new { errorRate = 0.3, errorStatus = 503, rateLimitRate = 0.1, retryAfterSeconds = 2, seed = 20261127 });

        var pids = Enumerable.Range(1, Jobs).Select(i => $"pf{i:D8}").ToList();
        var jobIds = new List<string>();
        foreach (var pid in pids)
        {
            jobIds.Add(await env.ProvisionAsync(pid));
        }

        // Bounded: the fake clock moves at most 1,500 × 250 ms; the retry backoff here is 0.1–1 s.
        await env.UntilAsync(
            () => env.WithDbAsync(db => db.Jobs.AllAsync(j => JobStatuses.Terminal.Contains(j.Status))),
            "every job to finish",
            TimeSpan.FromMilliseconds(250));

        var requests = await env.RequestsAsync();
        var state = await env.StateAsync();
        var deadLetters = await env.WithDbAsync(db => db.DeadLetters.AsNoTracking().ToListAsync());
        var lines = env.Logs.Lines.ToList();
        var served429 = requests.Count(r => r.Status == 429);
        var served5xx = requests.Count(r => r.Status >= 500);
        Assert.True(served429 > 0 && served5xx > 0, $"the faults must have fired: {served429} × 429, {served5xx} × 5xx of {requests.Count}");

        for (var i = 0; i < Jobs; i++)
        {
            var (pid, jobId) = (pids[i], jobIds[i]);
            var job = await env.JobAsync(jobId);
            var steps = await env.StepsAsync(jobId);
            output.WriteLine($"{pid} {job.Status} attempts {job.Attempts} deferrals {job.Deferrals}");
            var transients = lines.Count(l => l.Contains($"Job {jobId} ", StringComparison.Ordinal) && l.Contains("failed transiently", StringComparison.Ordinal));
            if (job.Status == JobStatuses.Completed)
            {
                Assert.Null(job.ErrorCode);
                // Attempts count the final, successful run plus one per non-429 failure; a 429 is a deferral only.
                Assert.Equal(1 + transients, job.Attempts);
                // max_retries holds per step however many fresh messages the deferrals sent (decision 0505).
                Assert.All(steps, s => Assert.InRange(s.Attempts - 1, 0, MaxRetries));
                Assert.Equal(job.Attempts - 1, steps.Sum(s => s.Attempts - 1));
                Assert.All(steps, s => Assert.True(s.Status is StepStatuses.Completed or StepStatuses.Skipped, $"{pid} {s.Name} {s.Status}"));
                Assert.Single(state["d1"], n => n.StartsWith(pid + "-", StringComparison.Ordinal));
                Assert.Single(state["workers"], n => n.StartsWith(pid + "-", StringComparison.Ordinal));
                Assert.DoesNotContain(deadLetters, d => d.JobId == jobId);
            }
            else
            {
                Assert.True(job.Status == JobStatuses.RolledBack, $"{pid}: {job.Status} ({job.ErrorCode} at {job.ErrorStep}: {job.ErrorMessage})");
                Assert.Equal(JobErrorCodes.RetriesExhausted, job.ErrorCode);
                // Dead-lettered on the step's 6th transient failure in a row, not later, even when 429s came between them.
                var forward = Assert.Single(deadLetters, d => d.JobId == jobId && d.Phase == JobPhases.Forward);
                Assert.Equal(MaxRetries + 1, forward.Attempts);
                foreach (var names in state.Values)
                {
                    Assert.DoesNotContain(names, n => n.Contains(pid, StringComparison.Ordinal));
                }

                Assert.All(await env.LedgerAsync(pid), r => Assert.Equal("deleted", r.Status));
            }
        }

        output.WriteLine($"{requests.Count} calls, {served5xx} × 503, {served429} × 429; dead letters: {deadLetters.Count}");
        // Every 503 cost exactly one attempt of some job, forward or rollback, and no 429 did: the 429s became deferrals.
        var allTransients = lines.Count(l => l.Contains("failed transiently", StringComparison.Ordinal));
        var deferrals = lines.Count(l => l.Contains(" deferred (", StringComparison.Ordinal));
        Assert.Equal(served5xx, allTransients);
        Assert.DoesNotContain(lines, l => l.Contains("failed transiently", StringComparison.Ordinal) && l.Contains("(429)", StringComparison.Ordinal));
        Assert.True(deferrals >= served429, $"{deferrals} deferrals for {served429} × 429");
    }
}
