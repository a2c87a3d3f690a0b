using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Nno.Provisioning.Cloudflare;
using Nno.Testing.Sandbox;

namespace Nno.Provisioning.Tests.Cloudflare;

/// <summary>The Cloudflare emulator on a loopback port and the Cloudflare services configured against it, as local runs them.</summary>
internal sealed class SandboxCloudflare : IAsyncDisposable
{
    private SandboxCloudflare(TestSandbox sandbox, ServiceProvider services, FakeTimeProvider time)
    {
        Sandbox = sandbox;
        Services = services;
        Time = time;
    }

    public TestSandbox Sandbox { get; }

    public ServiceProvider Services { get; }

    public CloudflareClient Client => Services.GetRequiredService<CloudflareClient>();

    /// <summary>The clock both the emulator and the services read.</summary>
    public FakeTimeProvider Time { get; }

    public static async Task<SandboxCloudflare> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var sandbox = await TestSandbox.StartAsync(time);
        var all = new Dictionary<string, string?>
        {
            ["Cloudflare:ApiBaseUrl"] = sandbox.BaseUrl,
            ["Cloudflare:R2S3Url"] = sandbox.S3Url,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return new SandboxCloudflare(sandbox, CloudflareTestServices.Build(all, time: time), time);
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Sandbox.DisposeAsync();
    }
}
