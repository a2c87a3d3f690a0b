using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Iam.Tests.Auth;
using Nno.Iam.Tests.Support;
using OtpNet;

namespace Nno.Iam.Tests.Mfa;

public sealed class TwoFactorTests : IAsyncLifetime
{
    private IamHost _iam = null!;

    public async Task InitializeAsync() => _iam = await IamHost.StartAsync();

    public async Task DisposeAsync() => await _iam.DisposeAsync();

    /// <summary>Signs up, enables and confirms a factor; returns the session token, secret and recovery codes.</summary>
    private async Task<(string Token, string Secret, List<string> RecoveryCodes)> EnrolAsync(string email)
    {
        var token = (await _iam.SignUpAsync(email)).GetProperty("token").GetString()!;
        using var client = _iam.Session(token);
        using var enable = await client.PostJsonAsync("/api/auth/two-factor/enable", new { password = AuthTestExtensions.StrongPassword });
        Assert.Equal(HttpStatusCode.OK, enable.StatusCode);
        var body = await enable.JsonAsync();
        var secret = body.GetProperty("secret").GetString()!;
        Assert.StartsWith("otpauth://totp/NNO:" + Uri.EscapeDataString(email) + "?secret=" + secret, body.GetProperty("totpURI").GetString());
        var codes = body.GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!).ToList();
        Assert.Equal(10, codes.Count);
        Assert.All(codes, c => Assert.Matches("^[a-z2-7]{5}-[a-z2-7]{5}$", c));

        using var confirm = await client.PostJsonAsync("/api/auth/two-factor/confirm", new { code = _iam.Totp(secret) });
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        Assert.True((await confirm.JsonAsync()).GetProperty("twoFactorEnabled").GetBoolean());
        Assert.True(Assert.NotNull(await _iam.ValidateAsync(token)).GetProperty("session").GetProperty("mfaVerified").GetBoolean());
        return (token, secret, codes);
    }

    private async Task<string> ChallengeAsync(string email)
    {
        using var signIn = await _iam.SignInAsync(email, AuthTestExtensions.StrongPassword);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var body = await signIn.JsonAsync();
        Assert.True(body.GetProperty("twoFactorRedirect").GetBoolean());
        Assert.False(body.TryGetProperty("token", out _));
        Assert.False(signIn.Headers.Contains("Set-Cookie"));
        return body.GetProperty("challengeToken").GetString()!;
    }

    private async Task<HttpResponseMessage> VerifyAsync(string challenge, string code)
    {
        using var client = _iam.Anonymous();
        return await client.PostJsonAsync("/api/auth/two-factor/verify", new { challengeToken = challenge, code });
    }

    [Fact]
    public async Task Enrolled_SignInAnswersChallenge_ValidCodeGivesMfaVerifiedSession_SameStepRefused()
    {
        var (_, secret, _) = await EnrolAsync("alice@example.com");
        var storedSecret = await _iam.DbAsync(db => db.MfaFactors.Select(f => f.Secret).SingleAsync());
        Assert.NotEqual(Base32Encoding.ToBytes(secret), storedSecret);
        Assert.DoesNotContain(secret, Encoding.UTF8.GetString(storedSecret));

        // The code of the confirming step was spent; the next step's code signs in.
        _iam.Time.Advance(TimeSpan.FromSeconds(30));
        var challenge = await ChallengeAsync("alice@example.com");
        var code = _iam.Totp(secret);
        using var verify = await VerifyAsync(challenge, code);
        Assert.Equal(HttpStatusCode.OK, verify.StatusCode);
        var body = await verify.JsonAsync();
        Assert.True(body.GetProperty("session").GetProperty("mfaVerified").GetBoolean());
        Assert.True(body.GetProperty("user").GetProperty("twoFactorEnabled").GetBoolean());
        Assert.Equal("password", body.GetProperty("session").GetProperty("authMethod").GetString());
        Assert.NotNull(await _iam.ValidateAsync(body.GetProperty("token").GetString()!));

        var again = await ChallengeAsync("alice@example.com");
        using var replay = await VerifyAsync(again, code);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Equal(1, await _iam.AuditCountAsync("auth.two_factor.succeeded"));
    }

    [Fact]
    public async Task FiveWrongCodes_RevokeTheChallenge_AndCountAsOneSignInFailure()
    {
        var (_, secret, _) = await EnrolAsync("alice@example.com");
        _iam.Time.Advance(TimeSpan.FromSeconds(30));
        var challenge = await ChallengeAsync("alice@example.com");
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await VerifyAsync(challenge, "000000" == _iam.Totp(secret) ? "111111" : "000000");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var revoked = await VerifyAsync(challenge, _iam.Totp(secret));
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        Assert.Equal(1, await _iam.DbAsync(db => db.SignInThrottle.Where(t => t.EmailNormalized == "alice@example.com").Select(t => t.FailedCount).SingleAsync()));
        Assert.Equal(5, await _iam.AuditCountAsync("auth.two_factor.failed"));
    }

    [Fact]
    public async Task RecoveryCode_WorksOnce()
    {
        var (_, _, codes) = await EnrolAsync("alice@example.com");

        using (var first = await VerifyAsync(await ChallengeAsync("alice@example.com"), codes[3].ToUpperInvariant()))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.True((await first.JsonAsync()).GetProperty("session").GetProperty("mfaVerified").GetBoolean());
        }

        using var second = await VerifyAsync(await ChallengeAsync("alice@example.com"), codes[3]);
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
    }

    [Fact]
    public async Task MagicLink_ForEnrolledUser_AnswersChallengeInsteadOfSession()
    {
        var (_, secret, _) = await EnrolAsync("alice@example.com");
        using (var client = _iam.Anonymous())
        using (var send = await client.PostJsonAsync("/api/auth/sign-in/magic-link", new { email = "alice@example.com" }))
        {
            Assert.Equal(HttpStatusCode.OK, send.StatusCode);
        }

        using var link = await _iam.VerifyLinkAsync(await _iam.LatestLinkTokenAsync("alice@example.com"), "/platforms");
        Assert.Equal(HttpStatusCode.OK, link.StatusCode);
        var body = await link.JsonAsync();
        Assert.True(body.GetProperty("twoFactorRedirect").GetBoolean());
        Assert.Equal("/platforms", body.GetProperty("callbackURL").GetString());

        _iam.Time.Advance(TimeSpan.FromSeconds(30));
        using var verify = await VerifyAsync(body.GetProperty("challengeToken").GetString()!, _iam.Totp(secret));
        Assert.Equal("magic-link", (await verify.JsonAsync()).GetProperty("session").GetProperty("authMethod").GetString());
    }

    [Fact]
    public async Task Enable_WrongPassword401_Confirmed409_ConfirmWrongCode401()
    {
        var token = (await _iam.SignUpAsync("alice@example.com")).GetProperty("token").GetString()!;
        using var client = _iam.Session(token);

        using (var wrong = await client.PostJsonAsync("/api/auth/two-factor/enable", new { password = "not-my-password" }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using (var nothing = await client.PostJsonAsync("/api/auth/two-factor/confirm", new { code = "123456" }))
        {
            Assert.Equal(HttpStatusCode.Conflict, nothing.StatusCode);
        }

        using var enable = await client.PostJsonAsync("/api/auth/two-factor/enable", new { password = AuthTestExtensions.StrongPassword });
        var secret = (await enable.JsonAsync()).GetProperty("secret").GetString()!;
        using (var wrongCode = await client.PostJsonAsync("/api/auth/two-factor/confirm", new { code = _iam.Totp(secret, steps: 5) }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrongCode.StatusCode);
        }

        using (var confirm = await client.PostJsonAsync("/api/auth/two-factor/confirm", new { code = _iam.Totp(secret, steps: -1) }))
        {
            Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        }

        using var twice = await client.PostJsonAsync("/api/auth/two-factor/enable", new { password = AuthTestExtensions.StrongPassword });
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
    }

    [Fact]
    public async Task Enable_IdempotencyKeyRepeat_409WithoutTheSecret()
    {
        var token = (await _iam.SignUpAsync("alice@example.com")).GetProperty("token").GetString()!;
        using var client = _iam.Session(token);
        client.DefaultRequestHeaders.Add("Idempotency-Key", "enrol-1");

        using var first = await client.PostJsonAsync("/api/auth/two-factor/enable", new { password = AuthTestExtensions.StrongPassword });
        var secret = (await first.JsonAsync()).GetProperty("secret").GetString()!;
        using var repeat = await client.PostJsonAsync("/api/auth/two-factor/enable", new { password = AuthTestExtensions.StrongPassword });

        Assert.Equal(HttpStatusCode.Conflict, repeat.StatusCode);
        var text = await repeat.Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, text);
    }

    [Fact]
    public async Task DisableAndRecoveryCodes_NeedAnMfaVerifiedSession()
    {
        var (token, _, codes) = await EnrolAsync("alice@example.com");

        // A session that did not pass the factor (created directly) cannot remove it.
        var userId = Assert.NotNull(await _iam.ValidateAsync(token)).GetProperty("user").GetProperty("id").GetString();
        await _iam.DbAsync(db => db.Sessions.ExecuteUpdateAsync(u => u.SetProperty(s => s.MfaVerified, false)));
        using (var plain = _iam.Session(token))
        using (var refused = await plain.PostJsonAsync("/api/auth/two-factor/disable", new { password = AuthTestExtensions.StrongPassword }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        await _iam.DbAsync(db => db.Sessions.ExecuteUpdateAsync(u => u.SetProperty(s => s.MfaVerified, true)));
        using var client = _iam.Session(token);
        using (var regenerate = await client.PostJsonAsync("/api/auth/two-factor/recovery-codes", new { password = AuthTestExtensions.StrongPassword }))
        {
            Assert.Equal(HttpStatusCode.OK, regenerate.StatusCode);
            var fresh = (await regenerate.JsonAsync()).GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()).ToList();
            Assert.Equal(10, fresh.Count);
            Assert.Empty(fresh.Intersect(codes));
        }

        using var disable = await client.PostJsonAsync("/api/auth/two-factor/disable", new { password = AuthTestExtensions.StrongPassword });
        Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
        Assert.False((await disable.JsonAsync()).GetProperty("twoFactorEnabled").GetBoolean());
        Assert.Contains("user=" + userId, Assert.Single(disable.Headers.GetValues("X-Nno-Cache-Evict")));
        using var signIn = await _iam.SignInAsync("alice@example.com", AuthTestExtensions.StrongPassword);
        Assert.True((await signIn.JsonAsync()).TryGetProperty("token", out _));
    }

    [Fact]
    public async Task RequiredForOperators_OperatorWithoutFactorActsAsUser_AndCannotDisableTheFactor()
    {
        await using var iam = await IamHost.StartAsync(new Dictionary<string, string?> { ["Iam:Mfa:RequireForOperators"] = "true" });
        var op = await iam.CreateOperatorAsync("op@example.com");
        var before = Assert.NotNull(await iam.ValidateAsync(op.Token));
        Assert.Equal("user", before.GetProperty("role").GetString());
        Assert.True(before.GetProperty("mfaRequired").GetBoolean());

        // No password: a session younger than 15 minutes stands in for it.
        using var client = iam.Session(op.Token);
        using var enable = await client.PostJsonAsync("/api/auth/two-factor/enable", new { });
        Assert.Equal(HttpStatusCode.OK, enable.StatusCode);
        var secret = (await enable.JsonAsync()).GetProperty("secret").GetString()!;
        using (var confirm = await client.PostJsonAsync("/api/auth/two-factor/confirm", new { code = iam.Totp(secret) }))
        {
            Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        }

        var after = Assert.NotNull(await iam.ValidateAsync(op.Token));
        Assert.Equal("platform-admin", after.GetProperty("role").GetString());

        using var disable = await client.PostJsonAsync("/api/auth/two-factor/disable", new { });
        Assert.Equal(HttpStatusCode.Conflict, disable.StatusCode);
        Assert.Equal("required_for_operators", (await disable.JsonAsync()).GetProperty("error").GetProperty("details").GetProperty("reason").GetString());

        // Past the freshness window a password-less user must sign in again first.
        iam.Time.Advance(TimeSpan.FromMinutes(16));
        using var stale = await client.PostJsonAsync("/api/auth/two-factor/recovery-codes", new { });
        Assert.Equal(HttpStatusCode.Forbidden, stale.StatusCode);
        Assert.Equal("reauthentication_required", (await stale.JsonAsync()).GetProperty("error").GetProperty("details").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Verify_UnknownChallenge401_BadBody400()
    {
        using var unknown = await VerifyAsync(new string('A', 43), "123456");
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);

        using var client = _iam.Anonymous();
        using var bad = await client.PostJsonAsync("/api/auth/two-factor/verify", new { challengeToken = "x", code = 123456 });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(JsonValueKind.Object, (await bad.JsonAsync()).GetProperty("error").GetProperty("details").ValueKind);
    }
}
