using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Registry.Kv;
using Nno.Registry.Tests.Support;
using Nno.ServiceDefaults.Jobs;
using Nno.Storage;

namespace Nno.Registry.Tests.Outbox;

/// <summary>registry.md §7 tests 18 and 19: the PLATFORM_STATUS KV follows the database through KV outages and crashes.</summary>
public sealed class PlatformStatusKvTests
{
    private static async Task<(string Status, long Version)> DbStatusAsync(RegistryHost host, string pid) =>
        await host.WithDbAsync(async db => await db.Platforms.AsNoTracking().Where(p => p.Id == pid).Select(p => new ValueTuple<string, long>(p.Status, p.Version)).SingleAsync());

    private static async Task<bool> KvMatchesAsync(RegistryHost host, string pid)
    {
        var (status, version) = await DbStatusAsync(host, pid);
        if (await host.Kv().GetAsync("platform:" + pid) is not { } entry)
        {
            return false;
        }

        var value = JsonDocument.Parse(entry.Value).RootElement;
        return value.GetProperty("status").GetString() == status && value.GetProperty("version").GetInt64() == version;
    }

    [Fact]
    public async Task KvFailing_TransitionStillSucceeds_ValueCorrectAfterRecovery()
    {
        var kv = new SwitchableKv();
        await using var host = await RegistryHost.StartWithAsync(configureBuilder: kv.Register);
        kv.Failing = true;
        var pid = (await host.ImportAsync("kv-down")).GetProperty("id").GetString()!;
        using (var op = host.Operator())
        {
            using var suspended = await op.PostJsonAsync($"/api/v1/platforms/{pid}/suspend", new { reason = "test" });
            await suspended.ExpectAsync(HttpStatusCode.OK);
        }

        await host.AdvanceUntilAsync(
            async () => (await host.OutboxAsync(pid)).Any(o => o.Kind == "kv.platform_status" && o.Attempts > 0 && o.LastError!.StartsWith("kv:", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(1), "a failed KV attempt");
        Assert.Null(await host.Kv().GetAsync("platform:" + pid));

        kv.Failing = false;
        await host.AdvanceUntilAsync(() => KvMatchesAsync(host, pid), TimeSpan.FromSeconds(5), "the KV after recovery");
        Assert.Equal("suspended", (await DbStatusAsync(host, pid)).Status);
    }

    [Fact]
    public async Task CrashBeforeKvWrite_FixedAtRestart_HandEditAndOrphanFixedByReconciliation()
    {
        var kv = new SwitchableKv();
        var first = await RegistryHost.StartWithAsync(configureBuilder: kv.Register);
        kv.Failing = true;
        var pid = (await first.ImportAsync("crashy")).GetProperty("id").GetString()!;
        var dataDir = first.Platform.DataDirectory;
        var time = first.Time;

        // The process dies after the commit, before any KV write; an orphan key is left behind by some old platform.
        await first.Platform.StopKeepingDataAsync();
        await using (var storage = new ServiceCollection().AddLogging().AddNnoEmbeddedStorage(dataDir.Path).BuildServiceProvider())
        {
            await storage.GetRequiredService<IKeyValueStore>().GetNamespace(KvNamespaces.PlatformStatus).PutAsync("platform:zzzzzzzzzz", Encoding.UTF8.GetBytes("active"));
        }

        await using var second = await RegistryHost.StartWithAsync(dataDir: dataDir, time: time);
        await second.Services.GetRequiredService<KvReconciliationAtStart>().Completed.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(await KvMatchesAsync(second, pid));
        Assert.Null(await second.Kv().GetAsync("platform:zzzzzzzzzz"));

        // A hand edit (no metadata) and a new orphan: the periodic pass repairs both.
        await second.Kv().PutAsync("platform:" + pid, Encoding.UTF8.GetBytes("suspended"));
        await second.Kv().PutAsync("platform:yyyyyyyyyy", Encoding.UTF8.GetBytes("active"));
        var log = second.Services.GetRequiredService<JobRunLog>();
        var passes = log.Passes(KvReconciliationJob.Name);
        second.Time.Advance(TimeSpan.FromMinutes(11));
        await log.WaitForPassAsync(KvReconciliationJob.Name, passes).WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(await KvMatchesAsync(second, pid));
        Assert.Null(await second.Kv().GetAsync("platform:yyyyyyyyyy"));
    }

    [Fact]
    public async Task ReconciliationSwitchedOff_LeavesForeignKeys_ButTheRelayStillWritesChanges()
    {
        await using var host = await RegistryHost.StartWithAsync(new Dictionary<string, string?> { ["Registry:Workers:KvReconcileEnabled"] = "false" });
        await host.Kv().PutAsync("platform:xxxxxxxxxx", Encoding.UTF8.GetBytes("suspended"));
        var pid = (await host.ImportAsync("no-reconcile")).GetProperty("id").GetString()!;
        await host.AdvanceUntilAsync(() => KvMatchesAsync(host, pid), TimeSpan.FromSeconds(1), "the relay's KV write");

        var log = host.Services.GetRequiredService<JobRunLog>();
        var passes = log.Passes(KvReconciliationJob.Name);
        host.Time.Advance(TimeSpan.FromMinutes(11));
        await log.WaitForPassAsync(KvReconciliationJob.Name, passes).WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal("suspended", Encoding.UTF8.GetString((await host.Kv().GetAsync("platform:xxxxxxxxxx"))!.Value.Span));
    }

    [Fact]
    public async Task Readiness_NamesTheRelayAndTheKv()
    {
        await using var host = await RegistryHost.StartAsync();
        using var client = host.Platform.Client(Nno.Core.Services.NnoServices.Registry);
        using var response = await client.GetAsync("/health/ready");
        var body = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("ok", body.GetProperty("checks").GetProperty("outboxRelay").GetString());
        Assert.Equal("ok", body.GetProperty("checks").GetProperty("platformStatusKv").GetString());
    }
}
