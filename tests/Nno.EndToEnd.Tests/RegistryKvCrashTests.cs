using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Nno.Core.Platforms;
using Nno.Core.Services;
using Nno.Storage;
using Nno.Storage.Sqlite;
using Nno.Testing;

namespace Nno.EndToEnd.Tests;

/// <summary>
/// Issue 5 acceptance: the host is killed (no graceful stop) after a platform's status change committed and before its
/// <c>PLATFORM_STATUS</c> KV write happened; after a restart on the same data the KV matches the database. The window
/// is made certain, not hoped for: the test holds an exclusive lock on the KV file while the change commits, so the
/// relay cannot write it, then kills the process.
/// </summary>
public sealed class RegistryKvCrashTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task HostKilledBetweenStatusCommitAndKvWrite_AfterRestartTheKvMatchesTheDatabase()
    {
        using var data = new TempDirectory("nno-e2e-kv");
        string pid;
        IReadOnlyDictionary<string, int> ports;
        await using (var first = HostProcess.Start(data.Path))
        {
            await first.WaitUntilHealthyAsync(StartTimeout);
            ports = first.Ports;
            using var http = OperatorClient(first, data.Path);
            pid = await ImportPlatformAsync(http);
            Assert.Equal(PlatformStatuses.Active, await WaitForKvStatusAsync(data.Path, pid, PlatformStatuses.Active));

            using (var kvLock = LockKv(data.Path))
            {
                using var suspend = await http.PostAsJsonAsync($"api/v1/platforms/{pid}/suspend", new { reason = "crash test" });
                Assert.Equal(HttpStatusCode.OK, suspend.StatusCode);
                // The relay tried and could not write: the KV still says active while the database says suspended.
                await Task.Delay(TimeSpan.FromSeconds(1));
                await first.KillAsync();
            }

            Assert.Equal(PlatformStatuses.Active, (await ReadKvAsync(data.Path, pid)).Status);
        }

        await using var second = HostProcess.Start(data.Path, ports);
        await second.WaitUntilHealthyAsync(StartTimeout);
        Assert.Equal(PlatformStatuses.Suspended, await WaitForKvStatusAsync(data.Path, pid, PlatformStatuses.Suspended));
        using var again = OperatorClient(second, data.Path);
        using var platform = JsonDocument.Parse(await again.GetStringAsync(new Uri($"api/v1/platforms/{pid}", UriKind.Relative)));
        Assert.Equal(PlatformStatuses.Suspended, platform.RootElement.GetProperty("status").GetString());
    }

    private static HttpClient OperatorClient(HostProcess host, string dataDir)
    {
        var http = new HttpClient { BaseAddress = host.Url(NnoServices.Gateway), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(Path.Combine(dataDir, "secrets", "auth-api-key")).Trim());
        return http;
    }

    private static async Task<string> ImportPlatformAsync(HttpClient http)
    {
        var slug = "crash-" + Guid.NewGuid().ToString("N")[..8];
        using var response = await http.PostAsJsonAsync("api/v1/platforms", new { name = "Crash test", slug, ownerUserId = "usr_crashowner000000000001", tier = "starter" });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        using var json = JsonDocument.Parse(text);
        return json.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>An open exclusive transaction on the KV file: every other writer waits, then fails with SQLITE_BUSY.</summary>
    private static SqliteConnection LockKv(string dataDir)
    {
        var connection = new SqliteConnection($"Data Source={SqliteKeyValueStore.FilePath(dataDir, KvNamespaces.PlatformStatus)};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "BEGIN EXCLUSIVE;";
        command.ExecuteNonQuery();
        return connection;
    }

    private static async Task<PlatformStatusReading> ReadKvAsync(string dataDir, string pid)
    {
        using var store = new SqliteKeyValueStore(Options.Create(new NnoStorageOptions { DataDir = dataDir }), TimeProvider.System);
        var entry = await store.GetNamespace(KvNamespaces.PlatformStatus).GetAsync(PlatformStatusKv.KeyFor(pid));
        return entry is null ? PlatformStatusReading.Unknown : PlatformStatusKv.Parse(entry.Value.Span);
    }

    private static async Task<string> WaitForKvStatusAsync(string dataDir, string pid, string expected)
    {
        var clock = Stopwatch.StartNew();
        var last = PlatformStatusReading.Unknown;
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            last = await ReadKvAsync(dataDir, pid);
            if (last.Status == expected)
            {
                break;
            }

            await Task.Delay(100);
        }

        return last.Status;
    }
}
