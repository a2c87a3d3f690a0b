using System.Net;
using Microsoft.EntityFrameworkCore;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Outbox;
using Nno.Provisioning.Steps;
using Nno.Provisioning.Tests.Support;

namespace Nno.Provisioning.Tests.Jobs;

public sealed class RegistryOutboxTests
{
    [Fact]
    public async Task Reports_GoInOrderPerPlatform_WaitBehindAFailure_AndResolveTheRegistryIdAtSendTime()
    {
        var registryDown = true;
        var steps = new ScriptedSteps();
        steps.Run["upload_auth_worker"] = async (context, _, token) =>
        {
            var worker = await context.RecordResourceAsync(
                new LedgerEntry(ResourceKinds.Worker, context.Step.ResourceName!, "worker-cf-id", context.Job.Environment),
                createdByJob: true,
                row => [RegistryReports.Resource(row, new ResourceReport("default", "worker", "auth", row.Name, "prod", "active", row.CfId, null, null, context.Job.Id))],
                token);
            await context.ReportAsync([RegistryReports.SecretSet(worker, "BETTER_AUTH_SECRET", context.Now)], token);
            return StepOutcome.Done;
        };
        var registry = new RecordingRegistry
        {
            // The Registry is down at first: every call answers 503.
            Answer = _ => registryDown ? (HttpStatusCode.ServiceUnavailable, null) : null,
        };
        await using var host = await ProvisioningHost.StartAsync(steps: steps, registry: registry);
        using var client = await host.RegistryClientAsync();

        var jobId = await ProvisioningHost.PostJobAsync(client, "/api/v1/provision/platform", ProvisioningHost.ProvisionBody("kkkkkkkkkk"));
        await host.UntilStatusAsync(jobId, JobStatuses.Completed);
        await host.UntilAsync(() => Task.FromResult(registry.Calls.Count >= 3), "a few failed deliveries");
        // While the first row fails, nothing behind it is sent (FIFO per platform): every failed call is the first event.
        Assert.All(registry.Calls, c => Assert.Equal(registry.Calls.First().Path, c.Path));

        registryDown = false;
        await host.UntilAsync(async () => await host.WithDbAsync(db => db.Outbox.AllAsync(o => o.SentAt != null)), "every row to be sent");
        var sent = registry.Calls.Where(c => !c.Method.Contains('!', StringComparison.Ordinal)).ToList();
        var order = sent.Select(c => c.Method + " " + c.Path).ToList();
        Assert.Equal("POST /api/v1/platforms/kkkkkkkkkk/provision-events", order[0]);
        var resource = order.IndexOf("POST /api/v1/platforms/kkkkkkkkkk/resources");
        var secret = order.FindIndex(o => o.StartsWith("PUT /api/v1/platforms/kkkkkkkkkk/resources/", StringComparison.Ordinal));
        var completed = sent.FindLastIndex(c => c.Body?.Contains("COMPLETED", StringComparison.Ordinal) == true);
        Assert.True(resource >= 0 && resource < secret && secret < completed, string.Join(" | ", order));

        var registryId = await host.WithDbAsync(db => db.Resources.Where(r => r.Kind == ResourceKinds.Worker).Select(r => r.RegistryId).SingleAsync());
        Assert.NotNull(registryId);
        Assert.Equal($"/api/v1/platforms/kkkkkkkkkk/resources/{registryId}/secrets/BETTER_AUTH_SECRET", sent[secret].Path);
        Assert.DoesNotContain(sent, c => c.Body?.Contains("owner@example.com", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task ProvisionEvent404NamingTheJob_IsDropped_ButABare404KeepsRetrying()
    {
        var registry = new RecordingRegistry
        {
            Answer = call => call.Path.EndsWith("/provision-events", StringComparison.Ordinal)
                ? (HttpStatusCode.NotFound, call.Path.Contains("mmmmmmmmmm", StringComparison.Ordinal)
                    ? """{"error":{"code":"NOT_FOUND","message":"no route","details":null}}"""
                    : """{"error":{"code":"NOT_FOUND","message":"x","details":{"resource":"job"}}}""")
                : null,
        };
        await using var host = await ProvisioningHost.StartAsync(registry: registry);
        using var client = await host.RegistryClientAsync();
        var dropped = await ProvisioningHost.PostJobAsync(client, "/api/v1/provision/platform", ProvisioningHost.ProvisionBody("llllllllll"));
        var kept = await ProvisioningHost.PostJobAsync(client, "/api/v1/provision/platform", ProvisioningHost.ProvisionBody("mmmmmmmmmm"));
        await host.UntilStatusAsync(dropped, JobStatuses.Completed);
        await host.UntilStatusAsync(kept, JobStatuses.Completed);
        await host.UntilAsync(async () => await host.WithDbAsync(db => db.Outbox.Where(o => o.PlatformId == "llllllllll").AllAsync(o => o.SentAt != null)), "the dropped events");
        await host.UntilAsync(() => Task.FromResult(registry.Calls.Count(c => c.Path.Contains("mmmmmmmmmm", StringComparison.Ordinal)) >= 3), "retries of the bare 404");
        Assert.Equal(0, await host.WithDbAsync(db => db.Outbox.CountAsync(o => o.PlatformId == "mmmmmmmmmm" && o.SentAt != null)));
    }
}
