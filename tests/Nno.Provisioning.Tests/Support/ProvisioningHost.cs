using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Client.Identity;
using Nno.Core.Json;
using Nno.Core.Services;
using Nno.Provisioning.Data;
using Nno.Provisioning.Steps;
using Nno.Testing;
using Nno.Testing.Security;

namespace Nno.Provisioning.Tests.Support;

/// <summary>IAM + Provisioning in memory with scripted PROVISION_PLATFORM steps and a recording Registry.</summary>
internal sealed class ProvisioningHost : IAsyncDisposable
{
    private ProvisioningHost(TestPlatform platform, ScriptedSteps steps, RecordingRegistry registry)
    {
        Platform = platform;
        Steps = steps;
        Registry = registry;
    }

    public TestPlatform Platform { get; }

    public ScriptedSteps Steps { get; }

    public RecordingRegistry Registry { get; }

    public static async Task<ProvisioningHost> StartAsync(IDictionary<string, string?>? settings = null, ScriptedSteps? steps = null, RecordingRegistry? registry = null, TempDirectory? dataDir = null, Microsoft.Extensions.Time.Testing.FakeTimeProvider? time = null, Action<IServiceCollection>? configure = null)
    {
        steps ??= new ScriptedSteps();
        registry ??= new RecordingRegistry();
        var all = new Dictionary<string, string?>
        {
            ["Provisioning:Retry:BaseSeconds"] = "0.1",
            ["Provisioning:Retry:MaxSeconds"] = "1",
            ["Provisioning:DeferralSeconds"] = "0.1",
            ["Provisioning:Outbox:RetryBaseSeconds"] = "0.1",
            ["Provisioning:Outbox:RetryMaxSeconds"] = "1",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            all[k] = v;
        }

        var platform = await TestPlatform.StartAsync(
            [NnoServices.Iam, NnoServices.Provisioning],
            all,
            (name, builder) =>
            {
                if (name == NnoServices.Provisioning)
                {
                    builder.Services.AddSingleton<IJobSteps>(steps);
                    builder.Services.AddHttpClient(NnoServices.RegistryInfo.BindingName).ConfigurePrimaryHttpMessageHandler(registry.CreateHandler);
                    configure?.Invoke(builder.Services);
                }
            },
            dataDir: dataDir,
            time: time);
        return new ProvisioningHost(platform, steps, registry);
    }

    public async Task<HttpClient> RegistryClientAsync() =>
        Platform.ClientWithToken(NnoServices.Provisioning, (await Platform.IssueServiceTokenAsync(NnoServices.Registry)).Token);

    public HttpClient Operator() => Platform.GatewayClient(NnoServices.Provisioning, GatewayIdentity.StaticKey("0123abcd"));

    public HttpClient User(params string[] platforms) => Platform.GatewayClient(
        NnoServices.Provisioning,
        GatewayIdentity.Session("usr_aaaaaaaaaaaaaaaaaaaa", "ses_aaaaaaaaaaaaaaaaaaaa", platforms: platforms.ToDictionary(p => p, _ => "owner"), activePlatformId: platforms.FirstOrDefault()));

    public static object ProvisionBody(string pid, string? env = null) =>
        new Dictionary<string, object?> { ["platformId"] = pid, ["planTier"] = "starter", ["billingEmail"] = "owner@example.com", ["environment"] = env ?? "prod" };

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>(NnoJson.Options));

    public static async Task<string> PostJobAsync(HttpClient client, string path, object body, HttpStatusCode expected = HttpStatusCode.Accepted)
    {
        using var response = await client.PostAsJsonAsync(new Uri(path, UriKind.Relative), body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        return response.StatusCode == HttpStatusCode.Accepted ? JsonDocument.Parse(text).RootElement.GetProperty("jobId").GetString()! : text;
    }

    /// <summary>A read of the job row straight from the service's database.</summary>
    public async Task<T> WithDbAsync<T>(Func<ProvisioningDbContext, Task<T>> read)
    {
        await using var scope = Platform.Host.Apps[NnoServices.Provisioning].Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
        return await read(db);
    }

    /// <summary>
    /// Lets the background consumers work, moving the fake clock in small steps, until <paramref name="done"/> holds
    /// (the production delays are configured small; this never waits on one).
    /// </summary>
    public async Task UntilAsync(Func<Task<bool>> done, string what, TimeSpan? step = null, int rounds = 600)
    {
        for (var i = 0; i < rounds; i++)
        {
            if (await done())
            {
                return;
            }

            Platform.Time.Advance(step ?? TimeSpan.FromMilliseconds(100));
            await Task.Delay(10);
        }

        Assert.Fail("Timed out waiting for " + what);
    }

    public Task UntilStatusAsync(string jobId, string status, TimeSpan? step = null) =>
        UntilAsync(async () => await StatusAsync(jobId) == status, $"job {jobId} to be {status}", step);

    public Task<string> StatusAsync(string jobId) => WithDbAsync(db => db.Jobs.AsNoTracking().Where(j => j.Id == jobId).Select(j => j.Status).SingleAsync());

    public ValueTask DisposeAsync() => Platform.DisposeAsync();
}
