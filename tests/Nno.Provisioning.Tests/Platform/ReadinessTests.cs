using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Nno.Core.Services;
using Nno.Provisioning.Cloudflare;
using Nno.Provisioning.Tests.Support;
using Nno.Testing;

namespace Nno.Provisioning.Tests.Platform;

/// <summary>Readiness (provisioning.md §3): database, queue, IAM key set, Cloudflare budget store.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task Ready_NamesEveryCheck()
    {
        await using var platform = await TestPlatform.StartAsync([NnoServices.Iam, NnoServices.Provisioning]);
        using var client = platform.Client(NnoServices.Provisioning);

        using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var checks = (await ProvisioningHost.JsonAsync(response)).GetProperty("checks");
        foreach (var name in new[] { "queue", "iamKeys", "cloudflareBudget" })
        {
            Assert.Equal("ok", checks.GetProperty(name).GetString());
        }
    }

    [Fact]
    public async Task Ready_Answers503NamingTheFailingCheck_WhenTheBudgetStoreIsUnavailable()
    {
        await using var platform = await TestPlatform.StartAsync(
            [NnoServices.Iam, NnoServices.Provisioning],
            configureBuilder: (name, builder) =>
            {
                if (name == NnoServices.Provisioning)
                {
                    builder.Services.RemoveAll<ICloudflareRequestBudget>();
                    builder.Services.AddSingleton<ICloudflareRequestBudget>(new UnavailableBudget());
                }
            });
        using var client = platform.Client(NnoServices.Provisioning);

        using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await ProvisioningHost.JsonAsync(response);
        Assert.Equal("SERVICE_UNAVAILABLE", body.GetProperty("error").GetProperty("code").GetString());
        var checks = body.GetProperty("error").GetProperty("details").GetProperty("checks");
        Assert.Equal("failing", checks.GetProperty("cloudflareBudget").GetString());
        Assert.Equal("ok", checks.GetProperty("queue").GetString());
    }

    private sealed class UnavailableBudget : ICloudflareRequestBudget
    {
        public double RemainingFraction => 0;

        public string? UnavailableReason => "the budget store cannot be reached";

        public ValueTask AcquireAsync(CancellationToken cancellationToken = default) => throw new CloudflareBudgetExhaustedException(TimeSpan.FromSeconds(5), rateLimited: false);

        public void ReportRateLimited(TimeSpan? retryAfter)
        {
        }
    }
}
