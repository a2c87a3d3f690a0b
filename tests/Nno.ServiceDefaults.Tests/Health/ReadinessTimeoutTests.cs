using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Nno.Host;
using Nno.ServiceDefaults.Bindings;
using Nno.ServiceDefaults.Health;
using Nno.ServiceDefaults.Hosting;
using Nno.Testing;

namespace Nno.ServiceDefaults.Tests.Health;

public sealed class ReadinessTimeoutTests
{
    [Fact]
    public async Task ChecksOverrunningTheBudget_Answer503_NamingEveryCheckAsTimeout()
    {
        using var dataDir = new TempDirectory();
        var directory = new ServiceDirectory();
        await using var app = NnoApplication.Build(ServiceCatalog.Find("registry")!, new NnoApplicationSettings
        {
            Listen = false,
            Directory = directory,
            Settings = { ["Nno:DataDir"] = dataDir.Path, ["Logging:LogLevel:Default"] = "Warning", ["Nno:Limits:ReadinessCheckTimeout"] = "00:00:00.100" },
            ConfigureBuilder = b => b.Services.AddHealthChecks().AddAsyncCheck("slow", async ct =>
            {
                await Task.Delay(TimeSpan.FromSeconds(30), ct);
                return HealthCheckResult.Healthy();
            }, [HealthEndpoints.ReadyTag]),
        });
        await app.StartAsync();
        using var client = new HttpClient(directory.CreateHandler("registry")) { BaseAddress = ServiceBindingRegistration.InProcessAddress("registry") };

        using var response = await client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var checks = body.RootElement.GetProperty("error").GetProperty("details").GetProperty("checks");
        Assert.Equal("timeout", checks.GetProperty("slow").GetString());
        Assert.Equal("timeout", checks.GetProperty("database").GetString());
        await app.StopAsync();
        SqliteConnection.ClearAllPools();
    }
}
