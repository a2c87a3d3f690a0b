using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Nno.ServiceDefaults.Security;
using Nno.Testing;

namespace Nno.ServiceDefaults.Tests.Security;

public sealed class AllInOneServiceTokenTests
{
    [Fact]
    public async Task AllInOne_EveryServiceObtainsItsOwnTokenWithTheGeneratedSecrets()
    {
        await using var platform = await TestPlatform.StartAsync();

        foreach (var (name, app) in platform.Host.Apps)
        {
            var token = await app.Services.GetRequiredService<IServiceTokenProvider>().GetTokenAsync(CancellationToken.None);
            Assert.Equal("svc:" + name, new JsonWebToken(token).Subject);
        }
    }
}
