using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Iam.Tests.Support;

namespace Nno.Iam.Tests.Auth;

/// <summary>iam.md §7 test 31 for this surface's secrets: passwords, session and link tokens, TOTP secrets, recovery codes, challenges.</summary>
public sealed class AuthSecretLoggingTests
{
    [Fact]
    public async Task FullAuthFlow_NoSecretInAnyLogLine()
    {
        await using var iam = await IamHost.StartAsync();
        var secrets = new List<string> { AuthTestExtensions.StrongPassword, "wrong-password-for-logs" };

        var token = (await iam.SignUpAsync("alice@example.com")).GetProperty("token").GetString()!;
        secrets.Add(token);
        secrets.Add(await iam.LatestLinkTokenAsync("alice@example.com", "verify-email"));
        using (var failed = await iam.SignInAsync("alice@example.com", "wrong-password-for-logs"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        using var client = iam.Session(token);
        using var enable = await client.PostJsonAsync("/api/auth/two-factor/enable", new { password = AuthTestExtensions.StrongPassword });
        var enrolment = await enable.JsonAsync();
        var secret = enrolment.GetProperty("secret").GetString()!;
        secrets.Add(secret);
        secrets.AddRange(enrolment.GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!));
        using (var confirm = await client.PostJsonAsync("/api/auth/two-factor/confirm", new { code = iam.Totp(secret) }))
        {
            Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        }

        using var signIn = await iam.SignInAsync("alice@example.com", AuthTestExtensions.StrongPassword);
        var challenge = (await signIn.JsonAsync()).GetProperty("challengeToken").GetString()!;
        secrets.Add(challenge);
        using (var anonymous = iam.Anonymous())
        using (var verify = await anonymous.PostJsonAsync("/api/auth/two-factor/verify", new { challengeToken = challenge, code = enrolment.GetProperty("recoveryCodes")[0].GetString() }))
        {
            var body = await verify.JsonAsync();
            secrets.Add(body.GetProperty("token").GetString()!);
        }

        using (var anonymous = iam.Anonymous())
        using (var send = await anonymous.PostJsonAsync("/api/auth/sign-in/magic-link", new { email = "alice@example.com" }))
        {
            Assert.Equal(HttpStatusCode.OK, send.StatusCode);
        }

        var link = await iam.LatestLinkTokenAsync("alice@example.com");
        secrets.Add(link);
        using (var used = await iam.VerifyLinkAsync(link))
        {
            Assert.Equal(HttpStatusCode.OK, used.StatusCode);
        }

        using (var reused = await iam.VerifyLinkAsync(link))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, reused.StatusCode);
        }

        // The test logger records every category at Trace. The one line that holds a link token is the framework's
        // request log ("Request starting … ?token=…", Information), which every NNO service filters at Warning; the
        // filter is asserted here so the exclusion cannot hide a leak.
        const string RequestLog = "Microsoft.AspNetCore.Hosting.Diagnostics";
        var filters = iam.Platform.Host.Apps["iam"].Services.GetRequiredService<IOptions<LoggerFilterOptions>>().Value;
        Assert.Contains(filters.Rules, r => r.ProviderName is null && r.CategoryName == RequestLog && r.LogLevel == LogLevel.Warning);
        var lines = iam.Logs.Lines.Where(l => !l.Contains(" " + RequestLog + ":", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(lines);
        foreach (var value in secrets)
        {
            Assert.DoesNotContain(lines, line => line.Contains(value, StringComparison.Ordinal));
        }
    }
}
