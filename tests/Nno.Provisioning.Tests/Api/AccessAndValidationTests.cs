using System.Net;
using System.Net.Http.Json;
using System.Text;
using Nno.Core.Services;
using Nno.Provisioning.Tests.Support;
using Nno.Testing.Security;

namespace Nno.Provisioning.Tests.Api;

public sealed class AccessAndValidationTests
{
    private const string Path = "/api/v1/provision/platform";

    [Fact]
    public async Task UserSeesOnlyJobsOfListedPlatforms_AndCannotPostOrReadTheDlq()
    {
        await using var host = await ProvisioningHost.StartAsync();
        using var registry = await host.RegistryClientAsync();
        var jobA = await ProvisioningHost.PostJobAsync(registry, Path, ProvisioningHost.ProvisionBody("aaaaaaaaa1"));
        var jobB = await ProvisioningHost.PostJobAsync(registry, Path, ProvisioningHost.ProvisionBody("bbbbbbbbb1"));
        using var user = host.User("aaaaaaaaa1");

        using (var other = await user.GetAsync(new Uri($"/api/v1/provision/jobs/{jobB}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
            Assert.Equal("job", (await ProvisioningHost.JsonAsync(other)).GetProperty("error").GetProperty("details").GetProperty("resource").GetString());
        }

        using (var own = await user.GetAsync(new Uri($"/api/v1/provision/jobs/{jobA}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }

        using (var listB = await user.GetAsync(new Uri("/api/v1/provision/jobs?platformId=bbbbbbbbb1", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, listB.StatusCode);
        }

        using (var listA = await user.GetAsync(new Uri("/api/v1/provision/jobs?platformId=aaaaaaaaa1&includeTotal=true", UriKind.Relative)))
        {
            var page = await ProvisioningHost.JsonAsync(listA);
            Assert.Equal(1, page.GetProperty("pagination").GetProperty("total").GetInt32());
            Assert.Equal(jobA, page.GetProperty("data")[0].GetProperty("jobId").GetString());
            Assert.False(page.GetProperty("data")[0].TryGetProperty("steps", out _));
        }

        using (var post = await user.PostAsJsonAsync(new Uri(Path, UriKind.Relative), ProvisioningHost.ProvisionBody("aaaaaaaaa1")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        }

        using (var dlq = await user.GetAsync(new Uri("/api/v1/provision/dlq", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, dlq.StatusCode);
        }

        using var cli = host.Platform.ClientWithToken(NnoServices.Provisioning, (await host.Platform.IssueServiceTokenAsync(NnoServices.Cli)).Token);
        using var fromCli = await cli.PostAsJsonAsync(new Uri(Path, UriKind.Relative), ProvisioningHost.ProvisionBody("ccccccccc1"));
        Assert.Equal(HttpStatusCode.Forbidden, fromCli.StatusCode);
    }

    [Theory]
    [InlineData("""{"platformId":"ABC","planTier":"starter","billingEmail":"a@example.com"}""", "platformId")]
    [InlineData("""{"platformId":"aaaaaaaaaa","planTier":"starter","billingEmail":"a@example.com","environment":"qa"}""", "environment")]
    [InlineData("""{"platformId":"aaaaaaaaaa","planTier":"starter","billingEmail":"a@example.com","surprise":1}""", "surprise")]
    [InlineData("""{"platformId":"aaaaaaaaaa","planTier":"gold","billingEmail":"a@example.com"}""", "planTier")]
    [InlineData("""{"platformId":"aaaaaaaaaa",""", null)]
    public async Task BadBodies_Answer400_AndCreateNothing(string body, string? field)
    {
        await using var host = await ProvisioningHost.StartAsync();
        using var registry = await host.RegistryClientAsync();
        using var response = await registry.PostAsync(new Uri(Path, UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        if (field is not null)
        {
            Assert.Contains(field, text, StringComparison.Ordinal);
        }

        Assert.Equal(0, await host.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(db.Jobs)));
    }

    [Fact]
    public async Task FeatureIdOf33Chars_TamperedCursor_AndOversizeBody_AreRefused()
    {
        await using var host = await ProvisioningHost.StartAsync();
        using var registry = await host.RegistryClientAsync();
        using (var feature = await registry.PostAsJsonAsync(new Uri("/api/v1/provision/feature/activate", UriKind.Relative),
            new { platformId = "aaaaaaaaaa", entityId = "bbbbbbbbbb", featureId = new string('a', 33), featureVersion = "1.0.0", environment = "prod" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, feature.StatusCode);
        }

        using (var cursor = await registry.GetAsync(new Uri("/api/v1/provision/jobs?cursor=tampered", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, cursor.StatusCode);
        }

        var big = "{\"platformId\":\"aaaaaaaaaa\",\"planTier\":\"starter\",\"billingEmail\":\"a@example.com\",\"x\":\"" + new string('x', 70 * 1024) + "\"}";
        using var oversize = await registry.PostAsync(new Uri(Path, UriKind.Relative), new StringContent(big, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oversize.StatusCode);
    }

    [Fact]
    public async Task FeatureActivation_OnANeverProvisionedPlatform_IsConflictPlatformNotProvisioned()
    {
        await using var host = await ProvisioningHost.StartAsync();
        using var registry = await host.RegistryClientAsync();
        using var response = await registry.PostAsJsonAsync(new Uri("/api/v1/provision/feature/activate", UriKind.Relative),
            new { platformId = "aaaaaaaaaa", entityId = "bbbbbbbbbb", featureId = "crm", featureVersion = "1.0.0", environment = "prod" });
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("platform_not_provisioned", (await ProvisioningHost.JsonAsync(response)).GetProperty("error").GetProperty("details").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task HourlyCreationLimit_AnswersRateLimitedWithRetryAfter()
    {
        await using var host = await ProvisioningHost.StartAsync(new Dictionary<string, string?> { ["Provisioning:Limits:JobsPerPlatformPerHour"] = "3" });
        using var registry = await host.RegistryClientAsync();
        foreach (var env in new[] { "prod", "stg", "dev" })
        {
            await ProvisioningHost.PostJobAsync(registry, Path, ProvisioningHost.ProvisionBody("aaaaaaaaaa", env));
        }

        using var fourth = await registry.PostAsJsonAsync(new Uri("/api/v1/provision/platform/deprovision", UriKind.Relative), new { platformId = "aaaaaaaaaa" });
        Assert.Equal(HttpStatusCode.TooManyRequests, fourth.StatusCode);
        Assert.NotNull(fourth.Headers.RetryAfter);
        Assert.Equal(3, await host.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(db.Jobs)));
    }
}
