using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;
using Nno.Core.Services;
using Nno.Gateway.Tests.Support;
using Nno.Host;
using Nno.ServiceDefaults.Hosting;
using Nno.Testing;

namespace Nno.Gateway.Tests;

/// <summary>The static service key's configuration (gateway.md §2, §4.3 path 1; §7 test 7).</summary>
public sealed class StaticKeyTests
{
    [Fact]
    public async Task StaticKeyDisabled_TheKeyAnswers401()
    {
        await using var platform = await GatewayPlatform.StartAsync(
            [NnoServices.Iam, NnoServices.StackRegistry, NnoServices.Gateway],
            new Dictionary<string, string?> { ["Gateway:StaticKeyEnabled"] = "false" });

        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/stacks", GatewayPlatform.StaticKey, out var id);
        using var response = await platform.Gateway.SendAsync(request);

        await Http.AssertEnvelopeAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Empty(platform.Recorder.For(id));
    }

    [Fact]
    public async Task AllInOneLocalWithoutAKey_GeneratesItOnceIntoTheDataDirAndLogsOnlyThePath()
    {
        await using var platform = await GatewayPlatform.StartAsync(
            [NnoServices.Gateway],
            new Dictionary<string, string?> { ["AUTH_API_KEY"] = null, ["AUTH_API_KEY_NEXT"] = null });
        var path = StaticServiceKey.PathFor(platform.Platform.DataDir);
        var key = (await File.ReadAllTextAsync(path)).Trim();

        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/billing/plans", key, out _);
        using var response = await platform.Gateway.SendAsync(request);

        // Authenticated: the request got as far as the (absent) Billing service.
        var error = await Http.AssertEnvelopeAsync(response, HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
        Assert.Equal("billing", error.GetProperty("details").GetProperty("service").GetString());
        Assert.True(key.Length >= 32);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.Contains(platform.Logs.Entries, e => e.AllText.Contains(path, StringComparison.Ordinal));
        Assert.DoesNotContain(platform.Logs.Entries, e => e.AllText.Contains(key, StringComparison.Ordinal));
        Assert.Equal(key, StaticServiceKey.LoadOrCreate(platform.Platform.DataDir));
    }

    [Theory]
    [InlineData("stg", null)]
    [InlineData("prod", null)]
    [InlineData("stg", "too-short-key-31-characters-xxx")]
    [InlineData("local", "too-short-key-31-characters-xxx")]
    public async Task WithoutAUsableKey_TheGatewayRefusesToStart(string environment, string? key)
    {
        using var dataDir = new TempDirectory();
        WebApplication? app = null;
        try
        {
            var thrown = await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                app = NnoApplication.Build(Nno.Gateway.GatewayService.Module, new NnoApplicationSettings
                {
                    Listen = false,
                    Settings = new Dictionary<string, string?>
                    {
                        ["Nno:Environment"] = environment,
                        ["Nno:DataDir"] = dataDir.Path,
                        ["AUTH_API_KEY"] = key,
                        ["Logging:LogLevel:Default"] = "None",
                    },
                });
                await app.StartAsync();
            });
            // Options are first read while the proxy configuration is built, so the validation failure may arrive wrapped.
            var error = thrown;
            while (error is not OptionsValidationException && error.InnerException is not null)
            {
                error = error.InnerException;
            }

            Assert.IsType<OptionsValidationException>(error);
            Assert.Contains("AUTH_API_KEY", error.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(StaticServiceKey.PathFor(dataDir.Path)));
        }
        finally
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }
        }
    }
}
