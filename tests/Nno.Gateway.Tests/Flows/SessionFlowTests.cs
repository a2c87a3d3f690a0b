using System.Net;
using System.Text.Json;

namespace Nno.Gateway.Tests.Flows;

/// <summary>
/// The session flow through the gateway with the real IAM (iam.md §7 tests 1, 5, 6, 8; gateway.md §7 test 13): sign-up,
/// the enriched session, email verification from the mailbox, sign-out and revocation of one session from another.
/// </summary>
[Collection(FlowCollection.Name)]
public sealed class SessionFlowTests(FlowFixture fixture)
{
    private readonly FlowPlatform _p = fixture.Platform;

    [Fact]
    public async Task SignUp_VerifyEmailLink_SignOut_OldTokenIsRejectedAtOnce()
    {
        var email = FlowPlatform.NewEmail("session");
        var user = await _p.SignUpAsync(email, "Sam Session");
        Assert.Equal(43, user.Token.Length);

        var session = await _p.SessionAsync(user.Token);
        Assert.Equal(user.Id, session.GetProperty("user").GetProperty("id").GetString());
        Assert.Equal(email, session.GetProperty("user").GetProperty("email").GetString());
        Assert.False(session.GetProperty("user").GetProperty("emailVerified").GetBoolean());
        Assert.Equal("user", session.GetProperty("role").GetString());
        Assert.Equal(string.Empty, session.GetProperty("platformId").GetString());
        Assert.Empty(session.GetProperty("platforms").EnumerateArray());

        // What a service behind the gateway sees for this session.
        var seen = await _p.ObserveAsync(user.Token);
        Assert.Equal("session", seen.Header("X-Nno-Auth"));
        Assert.Equal(user.Id, seen.Header("X-Nno-User-Id"));
        Assert.Equal("user", seen.Header("X-Nno-Role"));
        Assert.Equal(session.GetProperty("session").GetProperty("id").GetString(), seen.Header("X-Nno-Session-Id"));
        Assert.Equal(string.Empty, seen.Header("X-Nno-Platforms"));
        Assert.DoesNotContain(user.Token, seen.Header("Authorization"), StringComparison.Ordinal);

        // The verify-email message points at the console; following it (as the console's server does) signs in verified.
        var link = await _p.NextMailLinkAsync(email, "Confirm your email address");
        Assert.StartsWith("http://localhost:5174/auth/magic-link?token=", link.Url, StringComparison.Ordinal);
        string verifiedToken;
        using (var verify = await _p.VerifyLinkAsync(link.Token))
        {
            var body = await verify.AssertStatusAsync(HttpStatusCode.OK);
            verifiedToken = body.GetProperty("token").GetString()!;
            Assert.NotEqual(user.Token, verifiedToken);
            Assert.True(body.GetProperty("user").GetProperty("emailVerified").GetBoolean());
            Assert.Equal(user.Id, body.GetProperty("session").GetProperty("userId").GetString());
        }

        using (var again = await _p.VerifyLinkAsync(link.Token))
        {
            await again.AssertErrorAsync(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        var verified = await _p.SessionAsync(verifiedToken);
        Assert.True(verified.GetProperty("user").GetProperty("emailVerified").GetBoolean());
        Assert.Equal("magic-link", verified.GetProperty("session").GetProperty("authMethod").GetString());

        // Sign-out: the gateway has the token cached (the request above); IAM's eviction header empties that entry and
        // is not passed on to the client.
        using (var signOut = await _p.PostAsync("/api/v1/iam/auth/sign-out", verifiedToken))
        {
            Assert.True((await signOut.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("success").GetBoolean());
            signOut.AssertNoInternalHeaders();
        }

        using (var after = await _p.GetAsync("/api/v1/iam/nno/session", verifiedToken))
        {
            await after.AssertUnauthorizedAsync();
        }

        using (var upstream = await _p.GetAsync("/api/v1/billing/whoami", verifiedToken))
        {
            await upstream.AssertUnauthorizedAsync();
        }

        // The other session of the same user is untouched.
        Assert.Equal(user.Id, (await _p.SessionAsync(user.Token)).GetProperty("user").GetProperty("id").GetString());
    }

    [Fact]
    public async Task SessionRevokedFromAnotherSessionOfTheSameUser_IsRejectedAtOnce()
    {
        var user = await _p.SignUpAsync();
        var second = await _p.SignInAsync(user.Email);
        var secondId = (await _p.SessionAsync(second)).GetProperty("session").GetProperty("id").GetString()!;
        Assert.Equal(user.Id, (await _p.ObserveAsync(second)).Header("X-Nno-User-Id"));

        using (var list = await _p.GetAsync("/api/v1/iam/sessions", user.Token))
        {
            var sessions = (await list.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray().ToList();
            Assert.Equal(2, sessions.Count);
            Assert.Single(sessions, s => s.GetProperty("current").GetBoolean());
            Assert.False(sessions.Single(s => s.GetProperty("id").GetString() == secondId).GetProperty("current").GetBoolean());
            Assert.All(sessions, s => Assert.DoesNotContain("token", s.EnumerateObject().Select(p => p.Name.ToLowerInvariant())));
        }

        using (var revoke = await _p.DeleteAsync("/api/v1/iam/sessions/" + secondId, user.Token))
        {
            await revoke.AssertStatusAsync(HttpStatusCode.NoContent);
            revoke.AssertNoInternalHeaders();
        }

        using (var after = await _p.GetAsync("/api/v1/billing/whoami", second))
        {
            await after.AssertUnauthorizedAsync();
        }

        Assert.Equal(user.Id, (await _p.ObserveAsync(user.Token)).Header("X-Nno-User-Id"));

        // Another user cannot revoke it: not theirs, so it does not exist for them.
        var stranger = await _p.SignUpAsync();
        var ownId = (await _p.SessionAsync(user.Token)).GetProperty("session").GetProperty("id").GetString()!;
        using (var foreign = await _p.DeleteAsync("/api/v1/iam/sessions/" + ownId, stranger.Token))
        {
            await foreign.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND", objectNotFound: true);
        }

        Assert.Equal(JsonValueKind.Object, (await _p.SessionAsync(user.Token)).ValueKind);
    }
}
