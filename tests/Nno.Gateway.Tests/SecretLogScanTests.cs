using System.Net;
using Nno.Core.Services;
using Nno.Gateway.Tests.Support;

namespace Nno.Gateway.Tests;

/// <summary>gateway.md §7 test 29: no log line of a run with every kind of credential carries any of them.</summary>
public sealed class SecretLogScanTests
{
    [Fact]
    public async Task NoLogLine_CarriesACredentialCookieTokenOrQueryValue()
    {
        await using var platform = await GatewayPlatform.StartAsync([NnoServices.Iam, NnoServices.Billing, NnoServices.StackRegistry, NnoServices.Gateway]);
        var session = platform.NewSession(out _);
        var apiKey = platform.NewApiKey(out _, ["stacks:read"]);
        var badChecksum = apiKey[..^1] + (apiKey[^1] == 'A' ? 'B' : 'A');
        const string unknownSession = "unknown-session-secret-4f0d2c";
        const string querySecret = "query-secret-9a77";
        const string cookieSecret = "cookie-secret-3e1b";
        string[] secrets =
        [
            session, apiKey, badChecksum, unknownSession, querySecret, cookieSecret, GatewayPlatform.StaticKey, GatewayPlatform.NextStaticKey,
            GatewayPlatform.DefaultSessionToken, FakeServiceTokenProvider.Token,
        ];

        foreach (var credential in new[] { session, apiKey, badChecksum, unknownSession, GatewayPlatform.StaticKey, GatewayPlatform.NextStaticKey, "" })
        {
            foreach (var (method, path) in new[] { ("GET", "/api/v1/stacks/x"), ("POST", "/api/v1/iam/auth/sign-in/email"), ("GET", "/api/v1/billing/invoices"), ("GET", "/api/v1/nowhere") })
            {
                using var request = GatewayPlatform.Request(new HttpMethod(method), path + "?token=" + querySecret, credential.Length == 0 ? null : credential, out _);
                request.Headers.TryAddWithoutValidation("Cookie", "nno.session_token=" + cookieSecret);
                using var response = await platform.Gateway.SendAsync(request);
            }
        }

        // Failures log too: IAM down (503) and an upstream 500 without an envelope (502).
        platform.Iam.Mode = TestIamMode.ServerError;
        using (var down = await platform.Gateway.SendAsync(GatewayPlatform.Request(HttpMethod.Get, "/api/v1/stacks?token=" + querySecret, "fresh-" + unknownSession, out _)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        }

        platform.Iam.Mode = TestIamMode.Normal;
        using (var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/stacks?token=" + querySecret, session, out _))
        {
            request.Headers.Add(UpstreamRecorder.ScenarioHeader, "500-html");
            using var bad = await platform.Gateway.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadGateway, bad.StatusCode);
        }

        // Access-log lines are written at completion; wait for the last ones.
        await Task.Delay(200);
        Assert.Contains(platform.Logs.Entries, e => e.Category == "Nno.Gateway.AccessLog" && Equals(e.Field("principal"), "apikey"));
        foreach (var entry in platform.Logs.Entries)
        {
            foreach (var secret in secrets)
            {
                Assert.False(entry.AllText.Contains(secret, StringComparison.Ordinal), $"{entry.Service} {entry.Category} logged a secret: {entry.AllText}");
            }
        }
    }
}
