using System.Net;
using Microsoft.EntityFrameworkCore;
using Nno.Iam.Invitations;
using Nno.Iam.Sessions;
using Nno.Iam.Tests.Support;
using Nno.Iam.Verifications;

namespace Nno.Iam.Tests.Auth;

public sealed class MagicLinkTests : IAsyncLifetime
{
    private IamHost _iam = null!;

    public async Task InitializeAsync() => _iam = await IamHost.StartAsync();

    public async Task DisposeAsync() => await _iam.DisposeAsync();

    private async Task SendAsync(string email, string? callbackUrl = null)
    {
        using var client = _iam.Anonymous();
        using var response = await client.PostJsonAsync("/api/auth/sign-in/magic-link", new { email, callbackURL = callbackUrl });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("status").GetBoolean());
    }

    [Fact]
    public async Task Send_KnownAndUnknownEmail_SameAnswer_ConsoleLinks()
    {
        await _iam.CreateUserAsync("known@example.com");

        await SendAsync("known@example.com");
        await SendAsync("new@example.com");

        var bodies = await _iam.MailTextsAsync(q => q.Where(m => m.Template == "magic-link"));
        Assert.Equal(2, bodies.Count);
        Assert.All(bodies, b => Assert.Contains("http://localhost:5174/auth/magic-link?token=", b));
        Assert.Equal(2, await _iam.AuditCountAsync("auth.magic_link.requested"));
    }

    [Fact]
    public async Task Verify_Once_SignsInAndVerifies_SecondUse401()
    {
        var user = await _iam.CreateUserAsync("known@example.com", emailVerified: false);
        await SendAsync("known@example.com");
        var token = await _iam.LatestLinkTokenAsync("known@example.com");

        using var first = await _iam.VerifyLinkAsync(token);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var body = await first.JsonAsync();
        Assert.Equal(user.Id, body.GetProperty("user").GetProperty("id").GetString());
        Assert.True(body.GetProperty("user").GetProperty("emailVerified").GetBoolean());
        Assert.Equal("magic-link", body.GetProperty("session").GetProperty("authMethod").GetString());
        Assert.NotNull(await _iam.ValidateAsync(body.GetProperty("token").GetString()!));
        Assert.Contains("nno.session_token=", Assert.Single(first.Headers.GetValues("Set-Cookie")));

        using var second = await _iam.VerifyLinkAsync(token);
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
        Assert.Equal(1, await _iam.AuditCountAsync("auth.magic_link.used", user.Id));
        Assert.Equal(1, await _iam.AuditCountAsync("auth.email_verified", user.Id));
    }

    [Fact]
    public async Task Verify_UnknownEmail_CreatesVerifiedUserWithoutPassword()
    {
        using (var client = _iam.Anonymous())
        using (var send = await client.PostJsonAsync("/api/auth/sign-in/magic-link", new { email = "New@Example.com", name = "Newton" }))
        {
            Assert.Equal(HttpStatusCode.OK, send.StatusCode);
        }

        using var verify = await _iam.VerifyLinkAsync(await _iam.LatestLinkTokenAsync("New@Example.com"));

        var body = await verify.JsonAsync();
        Assert.Equal("Newton", body.GetProperty("user").GetProperty("name").GetString());
        Assert.True(body.GetProperty("user").GetProperty("emailVerified").GetBoolean());
        Assert.Equal(0, await _iam.DbAsync(db => db.Accounts.CountAsync()));
        Assert.Equal(1, await _iam.AuditCountAsync("user.signed_up"));
    }

    [Fact]
    public async Task Verify_TwoConcurrentUses_ExactlyOneSession()
    {
        await _iam.CreateUserAsync("known@example.com");
        await SendAsync("known@example.com");
        var token = await _iam.LatestLinkTokenAsync("known@example.com");

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _iam.VerifyLinkAsync(token)));

        Assert.Equal(1, answers.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(3, answers.Count(r => r.StatusCode == HttpStatusCode.Unauthorized));
        foreach (var answer in answers)
        {
            answer.Dispose();
        }
    }

    [Fact]
    public async Task Verify_AfterTenMinutes_401()
    {
        await _iam.CreateUserAsync("known@example.com");
        await SendAsync("known@example.com");
        var token = await _iam.LatestLinkTokenAsync("known@example.com");

        _iam.Time.Advance(TimeSpan.FromMinutes(10));
        using var verify = await _iam.VerifyLinkAsync(token);

        Assert.Equal(HttpStatusCode.Unauthorized, verify.StatusCode);
    }

    [Fact]
    public async Task Verify_WithCallback_RedirectsThere_AndBadTokenRedirectsWithError()
    {
        await _iam.CreateUserAsync("known@example.com");
        await SendAsync("known@example.com", "/platforms");
        var token = await _iam.LatestLinkTokenAsync("known@example.com");
        var text = Assert.Single(await _iam.MailTextsAsync(q => q));
        Assert.Contains("&returnUrl=%2Fplatforms", text);

        using var ok = await _iam.VerifyLinkAsync(token, "/platforms");
        Assert.Equal(HttpStatusCode.Redirect, ok.StatusCode);
        Assert.Equal("http://localhost:5174/platforms", ok.Headers.Location!.ToString());
        Assert.Contains("nno.session_token=", Assert.Single(ok.Headers.GetValues("Set-Cookie")));

        using var bad = await _iam.VerifyLinkAsync(token, "/platforms");
        Assert.Equal(HttpStatusCode.Redirect, bad.StatusCode);
        Assert.Equal("http://localhost:5174/platforms?error=INVALID_TOKEN", bad.Headers.Location!.ToString());
    }

    [Fact]
    public async Task Send_FourthLinkIn15Minutes_AnswersOkButSendsNothing()
    {
        for (var i = 0; i < 4; i++)
        {
            await SendAsync("busy@example.com");
        }

        Assert.Equal(3, await _iam.OutboxCountAsync("busy@example.com"));

        _iam.Time.Advance(TimeSpan.FromMinutes(16));
        await SendAsync("busy@example.com");
        Assert.Equal(4, await _iam.OutboxCountAsync("busy@example.com"));
    }

    [Fact]
    public async Task SignUpDisabled_UnknownEmail_NothingSent_KnownEmailStillWorks()
    {
        await using var iam = await IamHost.StartAsync(new Dictionary<string, string?> { ["Iam:SignUpEnabled"] = "false" });
        await iam.CreateUserAsync("known@example.com");
        using var client = iam.Anonymous();

        using var unknown = await client.PostJsonAsync("/api/auth/sign-in/magic-link", new { email = "stranger@example.com" });
        using var known = await client.PostJsonAsync("/api/auth/sign-in/magic-link", new { email = "known@example.com" });

        Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);
        Assert.Equal((await known.JsonAsync()).GetRawText(), (await unknown.JsonAsync()).GetRawText());
        Assert.Equal(0, await iam.OutboxCountAsync("stranger@example.com"));
        Assert.Equal(1, await iam.OutboxCountAsync("known@example.com"));
    }

    [Fact]
    public async Task InvitationLink_NoAccount_CreatesVerifiedUserEvenWithSignUpDisabled_AndLandsOnInvitations()
    {
        await using var iam = await IamHost.StartAsync(new Dictionary<string, string?> { ["Iam:SignUpEnabled"] = "false" });
        var inviter = await iam.CreateUserAsync("owner@example.com");
        var token = OpaqueTokens.New();
        var now = iam.Time.GetUtcNow().ToUnixTimeMilliseconds();
        await iam.DbAsync(async db =>
        {
            db.Invitations.Add(new InvitationRecord
            {
                Id = "inv_aaaaaaaaaaaaaaaaaaaa", PlatformId = "plataaaaaa", Email = "Invitee@Example.com", EmailNormalized = "invitee@example.com",
                Role = "member", Status = "pending", InviterId = inviter.Id, ExpiresAt = now + (long)TimeSpan.FromDays(7).TotalMilliseconds, CreatedAt = now,
            });
            db.Verifications.Add(new VerificationRecord
            {
                Id = "vrf_aaaaaaaaaaaaaaaaaaaa", Purpose = "invitation", Identifier = "invitee@example.com", TokenHash = OpaqueTokens.Hash(token),
                InvitationId = "inv_aaaaaaaaaaaaaaaaaaaa", ExpiresAt = now + (long)TimeSpan.FromDays(7).TotalMilliseconds, CreatedAt = now,
            });
            await db.SaveChangesAsync();
        });

        using var verify = await iam.VerifyLinkAsync(token);

        Assert.Equal(HttpStatusCode.OK, verify.StatusCode);
        var body = await verify.JsonAsync();
        Assert.Equal("/invitations", body.GetProperty("callbackURL").GetString());
        Assert.Equal("invitee@example.com", body.GetProperty("user").GetProperty("email").GetString());
        Assert.True(body.GetProperty("user").GetProperty("emailVerified").GetBoolean());
        Assert.Equal("magic-link", body.GetProperty("session").GetProperty("authMethod").GetString());
        var userId = body.GetProperty("user").GetProperty("id").GetString();
        Assert.Equal(0, await iam.DbAsync(db => db.Accounts.CountAsync(a => a.UserId == userId)));

        // With the new magic-link session the invitee sets a first password without a current one.
        using var client = iam.Session(body.GetProperty("token").GetString()!);
        using var password = await client.PostJsonAsync("/api/auth/change-password", new { newPassword = AuthTestExtensions.StrongPassword });
        Assert.Equal(HttpStatusCode.OK, password.StatusCode);
    }

    [Fact]
    public async Task SendVerificationEmail_QueuesLinkThatVerifies_ThenAlreadyVerified409()
    {
        var user = await _iam.CreateUserAsync("unverified@example.com", emailVerified: false);
        using var client = _iam.Session(user.Token);

        using var send = await client.PostJsonAsync("/api/auth/send-verification-email", new { callbackURL = "/account" });
        Assert.Equal(HttpStatusCode.OK, send.StatusCode);
        using var verify = await _iam.VerifyLinkAsync(await _iam.LatestLinkTokenAsync("unverified@example.com", "verify-email"));
        Assert.Equal(HttpStatusCode.OK, verify.StatusCode);
        Assert.Equal("/account", (await verify.JsonAsync()).GetProperty("callbackURL").GetString());

        using var again = await client.PostJsonAsync("/api/auth/send-verification-email", new { });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }
}
