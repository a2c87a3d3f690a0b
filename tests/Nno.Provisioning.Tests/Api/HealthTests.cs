using System.Net;
using Nno.Core.Services;
using Nno.Testing;

namespace Nno.Provisioning.Tests.Api;

public sealed class HealthTests
{
    [Fact]
    public async Task Provisioning_AnswersReadinessWithoutAToken()
    {
        await using var platform = await TestPlatform.StartAsync([NnoServices.Iam, NnoServices.Provisioning]);
        using var client = platform.Client(NnoServices.Provisioning);

        using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
