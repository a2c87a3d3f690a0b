using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Iam.Sessions;
using Nno.Iam.Tests.Auth;
using Nno.Iam.Tests.Support;

namespace Nno.Iam.Tests.Accounts;

public sealed class AccountTests : IAsyncLifetime
{
    private const string NewPassword = "Zp4!mQ9#rT2@wX7&kL1$";

    private IamHost _iam = null!;

    public async Task InitializeAsync() => _iam = await IamHost.StartAsync();

    public async Task DisposeAsync() => await _iam.DisposeAsync();

    private async Task<string> MagicLinkSessionAsync(string email)
    {
        using (var client = _iam.Anonymous())
        using (var send = await client.PostJsonAsync("/api/auth/sign-in/magic-link", new { email }))
        {
            Assert.Equal(HttpStatusCode.OK, send.StatusCode);
        }

        using var verify = await _iam.VerifyLinkAsync(await _iam.LatestLinkTokenAsync(email));
        return (await verify.JsonAsync()).GetProperty("token").GetString()!;
    }

    [Fact]
    public async Task PasswordReset_FreshMagicLinkSession_NeedsNoCurrentPassword_AndRevokesOtherSessions()
    {
        var original = (await _iam.SignUpAsync("alice@example.com")).GetProperty("token").GetString()!;
        var reset = await MagicLinkSessionAsync("alice@example.com");
        Assert.Equal("magic-link", Assert.NotNull(await _iam.ValidateAsync(reset)).GetProperty("session").GetProperty("authMethod").GetString());
        using var client = _iam.Session(reset);

        using var response = await client.PostJsonAsync("/api/auth/change-password", new { newPassword = NewPassword });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("user=", Assert.Single(response.Headers.GetValues("X-Nno-Cache-Evict")));
        Assert.Null(await _iam.ValidateAsync(original));
        Assert.NotNull(await _iam.ValidateAsync(reset));
        using var oldPassword = await _iam.SignInAsync("alice@example.com", AuthTestExtensions.StrongPassword);
        Assert.Equal(HttpStatusCode.Unauthorized, oldPassword.StatusCode);
        using var newPassword = await _iam.SignInAsync("alice@example.com", NewPassword);
        Assert.Equal(HttpStatusCode.OK, newPassword.StatusCode);
        Assert.Equal(1, await _iam.AuditCountAsync("auth.password_changed"));
    }

    [Fact]
    public async Task PasswordReset_AfterFifteenMinutes_403CurrentPasswordRequired()
    {
        await _iam.SignUpAsync("alice@example.com");
        var reset = await MagicLinkSessionAsync("alice@example.com");
        _iam.Time.Advance(TimeSpan.FromMinutes(15));
        using var client = _iam.Session(reset);

        using var response = await client.PostJsonAsync("/api/auth/change-password", new { newPassword = NewPassword });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("current_password_required", (await response.JsonAsync()).GetProperty("error").GetProperty("details").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task ChangePassword_WrongCurrent401_WeakNew400_KeepOtherSessionsOnRequest()
    {
        var first = (await _iam.SignUpAsync("alice@example.com")).GetProperty("token").GetString()!;
        using var signIn = await _iam.SignInAsync("alice@example.com", AuthTestExtensions.StrongPassword);
        var second = (await signIn.JsonAsync()).GetProperty("token").GetString()!;
        using var client = _iam.Session(first);

        using (var wrong = await client.PostJsonAsync("/api/auth/change-password", new { currentPassword = "not-the-password", newPassword = NewPassword }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using (var weak = await client.PostJsonAsync("/api/auth/change-password", new { currentPassword = AuthTestExtensions.StrongPassword, newPassword = "password1234" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
            Assert.Equal("common", (await weak.JsonAsync()).GetProperty("error").GetProperty("details").GetProperty("fields").GetProperty("password")[0].GetString());
        }

        using var ok = await client.PostJsonAsync("/api/auth/change-password", new { currentPassword = AuthTestExtensions.StrongPassword, newPassword = NewPassword, revokeOtherSessions = false });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.NotNull(await _iam.ValidateAsync(second));
    }

    [Fact]
    public async Task Profile_GetAndPatch_ImageNullClears_UnknownFields400()
    {
        var user = await _iam.CreateUserAsync("alice@example.com");
        using var client = _iam.Session(user.Token);

        using (var patch = await client.PatchAsJsonAsync("/api/auth/profile", new { name = "  Alice Liddell ", image = "https://cdn.example.com/a.png" }))
        {
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
            var body = await patch.JsonAsync();
            Assert.Equal("Alice Liddell", body.GetProperty("name").GetString());
            Assert.Equal("https://cdn.example.com/a.png", body.GetProperty("image").GetString());
            Assert.Contains("user=" + user.Id, Assert.Single(patch.Headers.GetValues("X-Nno-Cache-Evict")));
        }

        using (var clear = await client.PatchAsJsonAsync("/api/auth/profile", new { image = (string?)null }))
        {
            var body = await clear.JsonAsync();
            Assert.Equal("Alice Liddell", body.GetProperty("name").GetString());
            Assert.Equal(System.Text.Json.JsonValueKind.Null, body.GetProperty("image").ValueKind);
        }

        using (var role = await client.PatchAsJsonAsync("/api/auth/profile", new { role = "platform-admin" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, role.StatusCode);
        }

        using (var http = await client.PatchAsJsonAsync("/api/auth/profile", new { image = "http://cdn.example.com/a.png" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, http.StatusCode);
        }

        using (var longName = await client.PatchAsJsonAsync("/api/auth/profile", new { name = new string('n', 101) }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, longName.StatusCode);
        }

        using var get = await client.GetAsync("/api/auth/profile");
        Assert.Equal("user", (await get.JsonAsync()).GetProperty("role").GetString());
        Assert.Equal("user", await _iam.DbAsync(db => db.Users.Select(u => u.Role).SingleAsync()));
    }

    [Fact]
    public async Task DeleteUser_RightPassword_RemovesUserSessionsAndRows_KeepsAuditById()
    {
        var body = await _iam.SignUpAsync("alice@example.com");
        var token = body.GetProperty("token").GetString()!;
        var userId = body.GetProperty("user").GetProperty("id").GetString()!;
        await _iam.AddPlatformMemberAsync("platformaa", userId, "member");
        using var client = _iam.Session(token);

        using (var wrong = await client.PostJsonAsync("/api/auth/delete-user", new { password = "not-the-password" }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var response = await client.PostJsonAsync("/api/auth/delete-user", new { password = AuthTestExtensions.StrongPassword });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("user=" + userId, Assert.Single(response.Headers.GetValues("X-Nno-Cache-Evict")));
        Assert.Null(await _iam.ValidateAsync(token));
        await _iam.DbAsync(async db =>
        {
            Assert.False(await db.Users.AnyAsync(u => u.Id == userId));
            Assert.False(await db.Sessions.AnyAsync(s => s.UserId == userId));
            Assert.False(await db.Accounts.AnyAsync(a => a.UserId == userId));
            Assert.False(await db.PlatformMembers.AnyAsync(m => m.UserId == userId));
            Assert.True(await db.AuditEvents.AnyAsync(e => e.Type == "user.signed_up" && e.SubjectUserId == userId));
            Assert.True(await db.AuditEvents.AnyAsync(e => e.Type == "user.deleted" && e.SubjectUserId == userId));
        });
        using var signIn = await _iam.SignInAsync("alice@example.com", AuthTestExtensions.StrongPassword);
        Assert.Equal(HttpStatusCode.Unauthorized, signIn.StatusCode);
    }

    [Fact]
    public async Task DeleteUser_LastOwnerOfAPlatform_409WithThePlatformIds()
    {
        var body = await _iam.SignUpAsync("alice@example.com");
        var userId = body.GetProperty("user").GetProperty("id").GetString()!;
        var other = await _iam.CreateUserAsync("bob@example.com");
        await _iam.AddPlatformMemberAsync("platformaa", userId, "owner");
        await _iam.AddPlatformMemberAsync("platformbb", userId, "owner");
        await _iam.AddPlatformMemberAsync("platformbb", other.Id, "owner");
        using var client = _iam.Session(body.GetProperty("token").GetString()!);

        using var response = await client.PostJsonAsync("/api/auth/delete-user", new { password = AuthTestExtensions.StrongPassword });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var details = (await response.JsonAsync()).GetProperty("error").GetProperty("details");
        Assert.Equal("last_owner", details.GetProperty("reason").GetString());
        Assert.Equal(["platformaa"], details.GetProperty("platformIds").EnumerateArray().Select(p => p.GetString()).ToList());
        Assert.True(await _iam.DbAsync(db => db.Users.AnyAsync(u => u.Id == userId)));
    }

    [Fact]
    public async Task DeleteUser_LastOperator_409()
    {
        var op = await _iam.CreateOperatorAsync("op@example.com");
        using var client = _iam.Session(op.Token);

        // No password: the operator's session is fresh, which stands in for it.
        using var response = await client.PostJsonAsync("/api/auth/delete-user", new { });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("last_operator", (await response.JsonAsync()).GetProperty("error").GetProperty("details").GetProperty("reason").GetString());
    }
}
