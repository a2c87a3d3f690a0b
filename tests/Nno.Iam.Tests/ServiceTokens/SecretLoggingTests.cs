using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Nno.Client.Identity;
using Nno.ServiceDefaults.Security;
using Nno.Testing;
using Nno.Testing.Logging;
using Nno.Testing.Security;

namespace Nno.Iam.Tests.ServiceTokens;

/// <summary>iam.md §7 test 31 (the parts that exist now): no log line carries a client secret or a service token.</summary>
public sealed class SecretLoggingTests
{
    [Fact]
    public async Task TokenFlows_LogNeitherClientSecretsNorTokens()
    {
        var logs = new CapturingLoggerProvider();
        await using var platform = await TestPlatform.StartAsync(
            ["iam", "registry"],
            configureBuilder: (_, builder) => logs.AddTo(builder),
            configurePipeline: (_, app) => PrincipalProbe.Map(app));
        var tokens = new List<string>();

        using (var iam = platform.Client("iam"))
        {
            foreach (var service in ServiceTokenProtocol.ClientServices)
            {
                tokens.Add((await platform.IssueServiceTokenAsync(service)).Token);
                using var denied = await ServiceTokenEndpointTests.PostTokenRequestAsync(iam, service, platform.ClientSecret(service) + "x");
                Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
            }
        }

        // The Registry gets its own token through the binding and calls itself with it.
        var registry = platform.Host.Apps["registry"].Services;
        tokens.Add(await registry.GetRequiredService<IServiceTokenProvider>().GetTokenAsync(CancellationToken.None));
        using (var self = registry.GetRequiredService<IHttpClientFactory>().CreateClient("NNO_REGISTRY"))
        using (var response = await self.GetAsync(PrincipalProbe.Shared.TrimStart('/')))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Rejected tokens are logged as rejections, never verbatim.
        var expired = tokens[0];
        platform.Time.Advance(TimeSpan.FromMinutes(10));
        foreach (var target in (string[])["iam", "registry"])
        {
            using var client = new HttpClient(new GatewayIdentityHandler(_ => ValueTask.FromResult(expired), GatewayIdentity.Anonymous())
            {
                InnerHandler = platform.Host.Directory.CreateHandler(target),
            }) { BaseAddress = new Uri($"http://{target}.inproc/") };
            using var response = await client.GetAsync(PrincipalProbe.Open);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        var lines = logs.Lines.ToList();
        Assert.Contains(lines, l => l.Contains("Denied a service token for registry", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Rejected a service token", StringComparison.Ordinal));
        var secrets = ServiceTokenProtocol.ClientServices.Select(platform.ClientSecret).ToList();
        foreach (var line in lines)
        {
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, line, StringComparison.Ordinal);
            }

            foreach (var token in tokens)
            {
                // The signature part alone identifies a token; header and payload are not secret on their own.
                Assert.DoesNotContain(token[(token.LastIndexOf('.') + 1)..], line, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task ServiceWithoutUsableSecret_CannotObtainATokenAndIsNamedAtStart()
    {
        var logs = new CapturingLoggerProvider();
        await using var platform = await TestPlatform.StartAsync(["iam"], configureBuilder: (_, builder) =>
        {
            logs.AddTo(builder);
            builder.Configuration["Iam:ServiceClients:billing"] = "too-short-to-be-a-secret";
        });

        using var iam = platform.Client("iam");
        using var response = await ServiceTokenEndpointTests.PostTokenRequestAsync(iam, "billing", "too-short-to-be-a-secret");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var other = await ServiceTokenEndpointTests.PostTokenRequestAsync(iam, "registry", platform.ClientSecret("registry"));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);

        var warning = Assert.Single(logs.Lines, l => l.Contains("No usable client secret", StringComparison.Ordinal));
        Assert.Contains("for: billing;", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("too-short-to-be-a-secret", string.Join('\n', logs.Lines), StringComparison.Ordinal);
    }
}
