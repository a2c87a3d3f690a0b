using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Nno.Core.Services;
using Nno.Gateway.Tests.Support;
using Nno.Testing.Security;

namespace Nno.Gateway.Tests.Flows;

/// <summary>
/// iam.md §7 test 31 and gateway.md §7 test 29 over the real IAM behind the real gateway: a run through every flow
/// (bootstrap, sign-up, links, sign-in failures, API keys, device login, invitation, password change, sign-out) leaves
/// no password, session token, API key, link token, device code, service token, client secret or static key — nor
/// the SHA-256 of a token or key — in any log line of any application, at the log levels a deployment runs with.
/// </summary>
public sealed class FlowLogScanTests
{
    /// <summary>Every flow once, through the gateway; returns every secret it used or received.</summary>
    private static async Task<List<string>> RunEveryFlowAsync(FlowPlatform p)
    {
        var secrets = new List<string> { FlowPlatform.StaticKey, FlowPlatform.Password };
        foreach (var service in new[] { NnoServices.Gateway, NnoServices.Registry, NnoServices.Billing })
        {
            secrets.Add(p.Platform.ClientSecret(service));
        }

        // Bootstrap and the operator.
        var operatorToken = await p.OperatorSessionAsync(FlowPlatform.NewEmail("operator"));
        secrets.Add(operatorToken);

        // Sign-up, verify-email link (query-string token), a used link again, a wrong password, an unknown token.
        var user = await p.SignUpAsync();
        secrets.Add(user.Token);
        var verify = await p.NextMailLinkAsync(user.Email, "Confirm your email address");
        secrets.Add(verify.Token);
        using (var verified = await p.VerifyLinkAsync(verify.Token))
        {
            secrets.Add((await verified.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("token").GetString()!);
        }

        using (var reused = await p.GetAsync("/api/v1/iam/auth/magic-link/verify?token=" + verify.Token + "&callbackURL=%2Fdone"))
        {
            Assert.Equal(HttpStatusCode.Redirect, reused.StatusCode);
        }

        const string WrongPassword = "wrong-password-of-the-log-scan";
        secrets.Add(WrongPassword);
        using (var wrong = await p.PostAsync("/api/v1/iam/auth/sign-in/email", json: new { email = user.Email, password = WrongPassword }))
        {
            await wrong.AssertErrorAsync(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        const string UnknownToken = "unknown-session-token-of-the-log-scan-0123456789";
        secrets.Add(UnknownToken);
        using (var unknown = await p.GetAsync("/api/v1/iam/nno/session", UnknownToken))
        {
            await unknown.AssertUnauthorizedAsync();
        }

        // Magic link sign-in.
        using (var send = await p.PostAsync("/api/v1/iam/auth/sign-in/magic-link", json: new { email = user.Email }))
        {
            await send.AssertStatusAsync(HttpStatusCode.OK);
        }

        var magic = await p.NextMailLinkAsync(user.Email, "Your NNO sign-in link");
        secrets.Add(magic.Token);
        using (var signedIn = await p.VerifyLinkAsync(magic.Token))
        {
            secrets.Add((await signedIn.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("token").GetString()!);
        }

        // Platform owner, API key used, tampered, revoked.
        var platformA = FlowPlatform.NewPlatformId();
        await p.PutMemberAsync(platformA, user.Id, "owner");
        var (keyId, key) = await p.CreateApiKeyAsync(user.Token, platformA, "iam:read", "billing:read");
        secrets.Add(key);
        var seen = await p.ObserveAsync(key);
        secrets.Add(seen.Header("Authorization")!["Bearer ".Length..]);
        var tampered = key[..20] + (key[20] == 'a' ? 'b' : 'a') + key[21..];
        secrets.Add(tampered);
        using (var bad = await p.GetAsync("/api/v1/iam/auth/profile", tampered))
        {
            await bad.AssertUnauthorizedAsync();
        }

        using (var revoke = await p.DeleteAsync("/api/v1/iam/nno/apikey/" + keyId, user.Token))
        {
            await revoke.AssertStatusAsync(HttpStatusCode.NoContent);
        }

        using (var revoked = await p.GetAsync("/api/v1/iam/auth/profile", key))
        {
            await revoked.AssertUnauthorizedAsync();
        }

        // Device login.
        string deviceCode;
        using (var code = await p.PostFormAsync("/api/v1/iam/oauth/device/code", new Dictionary<string, string> { ["client_id"] = "nno-cli" }))
        {
            var body = await code.AssertStatusAsync(HttpStatusCode.OK);
            deviceCode = body.GetProperty("device_code").GetString()!;
            secrets.Add(deviceCode);
            using var approve = await p.PostAsync("/api/v1/iam/oauth/device/approve", user.Token, new { userCode = body.GetProperty("user_code").GetString() });
            await approve.AssertStatusAsync(HttpStatusCode.OK);
        }

        var poll = new Dictionary<string, string> { ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code", ["device_code"] = deviceCode, ["client_id"] = "nno-cli" };
        using (var token = await p.PostFormAsync("/api/v1/iam/oauth/device/token", poll))
        {
            secrets.Add((await token.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("access_token").GetString()!);
        }

        using (var again = await p.PostFormAsync("/api/v1/iam/oauth/device/token", poll))
        {
            Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        }

        // Invitation of a person without an account, accepted, then a first password.
        var organizationId = await p.CreateOrganizationAsync(platformA, user.Id);
        var inviteeEmail = FlowPlatform.NewEmail("invitee");
        using (var invite = await p.PostAsync($"/api/v1/iam/nno/platforms/{platformA}/invitations", user.Token, new { email = inviteeEmail, role = "member", organizationId }))
        {
            await invite.AssertStatusAsync(HttpStatusCode.Created);
        }

        var invitation = await p.NextMailLinkAsync(inviteeEmail, "You are invited to");
        secrets.Add(invitation.Token);
        string inviteeToken;
        using (var followed = await p.VerifyLinkAsync(invitation.Token))
        {
            inviteeToken = (await followed.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("token").GetString()!;
            secrets.Add(inviteeToken);
        }

        const string InviteePassword = "Zt5!wq9#Rk2@Lp7$Hs4m-log-scan";
        secrets.Add(InviteePassword);
        using (var change = await p.PostAsync("/api/v1/iam/auth/change-password", inviteeToken, new { newPassword = InviteePassword }))
        {
            await change.AssertStatusAsync(HttpStatusCode.OK);
        }

        secrets.Add(await p.SignInAsync(inviteeEmail, InviteePassword));

        // Sign-out, and the signed-out token once more.
        using (var signOut = await p.PostAsync("/api/v1/iam/auth/sign-out", inviteeToken))
        {
            await signOut.AssertStatusAsync(HttpStatusCode.OK);
        }

        using (var gone = await p.GetAsync("/api/v1/iam/nno/session", inviteeToken))
        {
            await gone.AssertUnauthorizedAsync();
        }

        // Access-log lines are written at completion; let the last ones land.
        await Task.Delay(200);
        return secrets;
    }

    /// <summary>The captured entries holding any form of any of <paramref name="secrets"/>.</summary>
    private static List<string> Leaks(FlowPlatform p, IEnumerable<string> secrets)
    {
        var forms = secrets.Distinct(StringComparer.Ordinal).SelectMany(Forms).ToList();
        return [.. p.Logs.Entries.Where(e => forms.Any(f => e.AllText.Contains(f, StringComparison.Ordinal))).Select(e => $"{e.Service} {e.Category} ({e.Level}): {e.AllText}")];
    }

    [Fact]
    public async Task FullFlowThroughTheGateway_NoSecretInAnyLogLine_AtDeploymentLogLevels()
    {
        await using var p = await FlowPlatform.StartAsync();
        var secrets = await RunEveryFlowAsync(p);
        var entries = p.Logs.Entries;

        // The capture ran at the deployment's levels: Information lines of NNO's own code and the gateway's access
        // log are there, and the framework's request log (which prints query strings) is not.
        Assert.Contains(entries, e => e.Category == "Nno.Gateway.AccessLog" && Equals(e.Field("principal"), "apikey"));
        Assert.Contains(entries, e => e.Service == NnoServices.Iam && e.Level == LogLevel.Information);
        Assert.DoesNotContain(entries, e => e.Category.StartsWith("Microsoft.AspNetCore.Hosting", StringComparison.Ordinal));
        foreach (var service in new[] { NnoServices.Iam, NnoServices.Gateway })
        {
            var loggers = p.Platform.Host.Apps[service].Services.GetRequiredService<ILoggerFactory>();
            Assert.True(loggers.CreateLogger("Some.Component").IsEnabled(LogLevel.Information));
            Assert.False(loggers.CreateLogger("Some.Component").IsEnabled(LogLevel.Debug));
            Assert.False(loggers.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Information));
        }

        Assert.Empty(Leaks(p, secrets));
    }

    /// <summary>
    /// An operator debugging an installation opens every category to Trace in configuration (the framework's request
    /// log, EF Core, YARP and HttpClient included): still no secret. The framework's request log prints query strings
    /// (link tokens), so <c>Nno.ServiceDefaults</c> holds it at Warning in code, for every provider, where configuration
    /// cannot open it; HttpClientFactory's Trace header lines are redacted for every service client.
    /// </summary>
    [Fact]
    public async Task EveryLogCategoryOpenedToTraceInConfiguration_StillNoSecretInAnyLogLine()
    {
        await using var p = await FlowPlatform.StartAsync(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Trace",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Trace",
            ["Logging:LogLevel:Yarp"] = "Trace",
            ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Trace",

            // Provider-specific settings outrank the general ones: the request log must stay shut there too.
            ["Logging:" + typeof(LogSink).FullName + "+Provider:LogLevel:Default"] = "Trace",
            ["Logging:" + typeof(LogSink).FullName + "+Provider:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Trace",
        });
        var secrets = await RunEveryFlowAsync(p);

        // Trace lines did reach the capture (header lines of service calls among them), so the scan saw them.
        Assert.Contains(p.Logs.Entries, e => e.Level == LogLevel.Trace && e.Category.StartsWith("System.Net.Http.HttpClient", StringComparison.Ordinal));
        Assert.Contains(p.Logs.Entries, e => e.Level == LogLevel.Debug && e.Category.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal));
        Assert.Empty(Leaks(p, secrets));
    }

    /// <summary>The secret itself, its URL-encoded form, and the SHA-256 digests a cache or table keys it by.</summary>
    private static IEnumerable<string> Forms(string secret)
    {
        yield return secret;
        var escaped = Uri.EscapeDataString(secret);
        if (escaped != secret)
        {
            yield return escaped;
        }

        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
        yield return Convert.ToHexStringLower(digest);
        yield return Convert.ToHexString(digest);
        yield return Convert.ToBase64String(digest);
        yield return Convert.ToBase64String(digest).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
