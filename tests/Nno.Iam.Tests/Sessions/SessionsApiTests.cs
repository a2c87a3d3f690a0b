using System.Net;
using Microsoft.EntityFrameworkCore;
using Nno.Iam.Tests.Auth;
using Nno.Iam.Tests.Support;

namespace Nno.Iam.Tests.Sessions;

public sealed class SessionsApiTests : IAsyncLifetime
{
    private IamHost _iam = null!;

    public async Task InitializeAsync() => _iam = await IamHost.StartAsync();

    public async Task DisposeAsync() => await _iam.DisposeAsync();

    [Fact]
    public async Task SignOut_RevokesTheSession_EvictsIt_AndClearsTheCookie()
    {
        var token = (await _iam.SignUpAsync("alice@example.com")).GetProperty("token").GetString()!;
        var sessionId = Assert.NotNull(await _iam.ValidateAsync(token)).GetProperty("session").GetProperty("id").GetString();
        using var client = _iam.Session(token);

        using var response = await client.PostAsync("/api/auth/sign-out", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("success").GetBoolean());
        Assert.Equal("session=" + sessionId, Assert.Single(response.Headers.GetValues("X-Nno-Cache-Evict")));
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("nno.session_token=;", cookie);
        Assert.Contains("expires=Thu, 01 Jan 1970", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Null(await _iam.ValidateAsync(token));
        Assert.Equal(1, await _iam.AuditCountAsync("auth.sign_out"));
    }

    [Fact]
    public async Task GetSession_AnswersSessionAndUser_ApiKeyCallers403()
    {
        var user = await _iam.CreateUserAsync("alice@example.com");
        using var client = _iam.Session(user.Token);

        using var response = await client.GetAsync("/api/auth/get-session");

        var body = await response.JsonAsync();
        Assert.Equal(user.SessionId, body.GetProperty("session").GetProperty("id").GetString());
        Assert.Equal(user.Id, body.GetProperty("user").GetProperty("id").GetString());
        Assert.False(body.GetProperty("session").TryGetProperty("tokenHash", out _));

        using var anonymous = _iam.Anonymous();
        using var unauthenticated = await anonymous.GetAsync("/api/auth/get-session");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
    }

    [Fact]
    public async Task List_OnlyOwnLiveSessions_NewestFirst_OneCurrent_Paged()
    {
        var alice = await _iam.CreateUserAsync("alice@example.com");
        await _iam.CreateUserAsync("bob@example.com");
        _iam.Time.Advance(TimeSpan.FromSeconds(1));
        var second = await _iam.SignUpAsyncSecondSession("alice@example.com");
        using var client = _iam.Session(alice.Token);

        using var page1 = await client.GetAsync("/api/sessions?limit=1&includeTotal=true");
        var body1 = await page1.JsonAsync();
        var first = Assert.Single(body1.GetProperty("data").EnumerateArray());
        Assert.Equal(second, first.GetProperty("id").GetString());
        Assert.False(first.GetProperty("current").GetBoolean());
        Assert.Equal(2, body1.GetProperty("pagination").GetProperty("total").GetInt32());
        var cursor = body1.GetProperty("pagination").GetProperty("nextCursor").GetString()!;

        using var page2 = await client.GetAsync("/api/sessions?limit=1&cursor=" + Uri.EscapeDataString(cursor));
        var body2 = await page2.JsonAsync();
        var last = Assert.Single(body2.GetProperty("data").EnumerateArray());
        Assert.Equal(alice.SessionId, last.GetProperty("id").GetString());
        Assert.True(last.GetProperty("current").GetBoolean());
        Assert.False(body2.GetProperty("pagination").GetProperty("hasMore").GetBoolean());

        using var tampered = await client.GetAsync("/api/sessions?cursor=" + Uri.EscapeDataString(cursor[..^2] + "xx"));
        Assert.Equal(HttpStatusCode.BadRequest, tampered.StatusCode);
    }

    [Fact]
    public async Task Delete_AnotherUsersSession404_OwnIdempotent204_OperatorAny()
    {
        var alice = await _iam.CreateUserAsync("alice@example.com");
        var bob = await _iam.CreateUserAsync("bob@example.com");
        using var client = _iam.Session(alice.Token);

        using var foreign = await client.DeleteAsync("/api/sessions/" + bob.SessionId);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal("session", (await foreign.JsonAsync()).GetProperty("error").GetProperty("details").GetProperty("resource").GetString());
        Assert.NotNull(await _iam.ValidateAsync(bob.Token));

        var other = await _iam.SignUpAsyncSecondSession("alice@example.com");
        using (var own = await client.DeleteAsync("/api/sessions/" + other))
        {
            Assert.Equal(HttpStatusCode.NoContent, own.StatusCode);
            Assert.Equal("session=" + other, Assert.Single(own.Headers.GetValues("X-Nno-Cache-Evict")));
        }

        using (var again = await client.DeleteAsync("/api/sessions/" + other))
        {
            Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        }

        var op = await _iam.CreateOperatorAsync();
        using var operatorClient = _iam.Session(op.Token);
        using var byOperator = await operatorClient.DeleteAsync("/api/sessions/" + bob.SessionId);
        Assert.Equal(HttpStatusCode.NoContent, byOperator.StatusCode);
        Assert.Null(await _iam.ValidateAsync(bob.Token));
        Assert.Equal("admin", await _iam.DbAsync(db => db.Sessions.Where(s => s.Id == bob.SessionId).Select(s => s.RevokedReason).SingleAsync()));
    }

    [Fact]
    public async Task RevokeOthers_KeepsTheCurrentSession()
    {
        var alice = await _iam.CreateUserAsync("alice@example.com");
        await _iam.SignUpAsyncSecondSession("alice@example.com");
        await _iam.SignUpAsyncSecondSession("alice@example.com");
        using var client = _iam.Session(alice.Token);

        using var response = await client.PostAsync("/api/sessions/revoke-others", null);

        Assert.Equal(2, (await response.JsonAsync()).GetProperty("revoked").GetInt32());
        Assert.Contains("user=" + alice.Id, Assert.Single(response.Headers.GetValues("X-Nno-Cache-Evict")));
        Assert.NotNull(await _iam.ValidateAsync(alice.Token));
        Assert.Equal(1, await _iam.DbAsync(db => db.Sessions.CountAsync(s => s.UserId == alice.Id && s.RevokedAt == null)));
    }

    [Fact]
    public async Task SignedUpSession_SlidesForwardButDiesAtTheAbsoluteLifetime()
    {
        var token = (await _iam.SignUpAsync("alice@example.com")).GetProperty("token").GetString()!;
        var first = Assert.NotNull(await _iam.ValidateAsync(token)).GetProperty("session").GetProperty("expiresAt").GetDateTimeOffset();

        _iam.Time.Advance(TimeSpan.FromDays(2));
        var second = Assert.NotNull(await _iam.ValidateAsync(token)).GetProperty("session").GetProperty("expiresAt").GetDateTimeOffset();
        Assert.Equal(first.AddDays(2), second);

        for (var day = 3; day < 30; day++)
        {
            _iam.Time.Advance(TimeSpan.FromDays(1));
            Assert.NotNull(await _iam.ValidateAsync(token));
        }

        _iam.Time.Advance(TimeSpan.FromDays(1));
        Assert.Null(await _iam.ValidateAsync(token));
    }
}

internal static class SessionTestExtensions
{
    /// <summary>Signs in the user created by the host (who has no password) with a fresh magic link: a second session.</summary>
    public static async Task<string> SignUpAsyncSecondSession(this IamHost iam, string email)
    {
        using (var client = iam.Anonymous())
        using (var send = await client.PostJsonAsync("/api/auth/sign-in/magic-link", new { email }))
        {
            Assert.Equal(HttpStatusCode.OK, send.StatusCode);
        }

        using var verify = await iam.VerifyLinkAsync(await iam.LatestLinkTokenAsync(email));
        return (await verify.JsonAsync()).GetProperty("session").GetProperty("id").GetString()!;
    }
}
