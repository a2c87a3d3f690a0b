using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Iam.Tests.Auth;
using Nno.Iam.Tests.Support;

namespace Nno.Iam.Tests.SignIn;

public sealed class SignInThrottleTests : IAsyncLifetime
{
    private IamHost _iam = null!;

    public async Task InitializeAsync() => _iam = await IamHost.StartAsync();

    public async Task DisposeAsync() => await _iam.DisposeAsync();

    [Fact]
    public async Task WrongPasswordAndUnknownEmail_IdenticalAnswers()
    {
        await _iam.SignUpAsync("alice@example.com");

        using var wrong = await _iam.SignInAsync("alice@example.com", "not-the-password-1");
        using var unknown = await _iam.SignInAsync("nobody@example.com", "not-the-password-1");

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        var a = (await wrong.JsonAsync()).GetProperty("error");
        var b = (await unknown.JsonAsync()).GetProperty("error");
        Assert.Equal(a.GetProperty("code").GetString(), b.GetProperty("code").GetString());
        Assert.Equal(a.GetProperty("message").GetString(), b.GetProperty("message").GetString());
        Assert.Equal(a.GetProperty("details").GetRawText(), b.GetProperty("details").GetRawText());
        Assert.Equal(2, await _iam.AuditCountAsync("auth.sign_in.failed"));
    }

    [Fact]
    public async Task FiveFailures_LockEvenTheRightPassword_429WithRetryAfter_AuditedAndNoticeQueuedOnce()
    {
        var user = await _iam.SignUpAsync("alice@example.com");
        var userId = user.GetProperty("user").GetProperty("id").GetString()!;
        for (var i = 0; i < 5; i++)
        {
            using var failed = await _iam.SignInAsync("alice@example.com", "wrong-password-" + i);
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        using var locked = await _iam.SignInAsync("alice@example.com", AuthTestExtensions.StrongPassword);
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.Equal("RATE_LIMITED", (await locked.JsonAsync()).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(TimeSpan.FromMinutes(15), locked.Headers.RetryAfter!.Delta);
        Assert.Equal(1, await _iam.AuditCountAsync("auth.sign_in.locked", userId));
        Assert.Equal(1, await _iam.OutboxCountAsync("alice@example.com", "lockout-notice"));

        // After the lock: a second lockout the same day doubles the lock and sends no second notice.
        _iam.Time.Advance(TimeSpan.FromMinutes(15));
        for (var i = 0; i < 5; i++)
        {
            using var failed = await _iam.SignInAsync("alice@example.com", "wrong-password-" + i);
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        using var lockedAgain = await _iam.SignInAsync("alice@example.com", AuthTestExtensions.StrongPassword);
        Assert.Equal(TimeSpan.FromMinutes(30), lockedAgain.Headers.RetryAfter!.Delta);
        Assert.Equal(2, await _iam.AuditCountAsync("auth.sign_in.locked", userId));
        Assert.Equal(1, await _iam.OutboxCountAsync("alice@example.com", "lockout-notice"));

        _iam.Time.Advance(TimeSpan.FromMinutes(30));
        using var open = await _iam.SignInAsync("alice@example.com", AuthTestExtensions.StrongPassword);
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
    }

    [Fact]
    public async Task UnknownEmail_LockedAfterFiveTriesLikeAnAccount()
    {
        for (var i = 0; i < 5; i++)
        {
            using var failed = await _iam.SignInAsync("ghost@example.com", "whatever-password");
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        using var locked = await _iam.SignInAsync("ghost@example.com", "whatever-password");
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.NotNull(locked.Headers.RetryAfter);
        Assert.Equal(0, await _iam.OutboxCountAsync("ghost@example.com"));
    }

    [Fact]
    public async Task FailuresOutsideTheWindow_DoNotAddUp()
    {
        await _iam.SignUpAsync("alice@example.com");
        for (var i = 0; i < 4; i++)
        {
            using var failed = await _iam.SignInAsync("alice@example.com", "wrong-password");
        }

        _iam.Time.Advance(TimeSpan.FromMinutes(16));
        using (var failed = await _iam.SignInAsync("alice@example.com", "wrong-password"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        using var ok = await _iam.SignInAsync("alice@example.com", AuthTestExtensions.StrongPassword);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task MagicLinkVerify_ClearsTheLock()
    {
        await _iam.SignUpAsync("alice@example.com");
        for (var i = 0; i < 5; i++)
        {
            using var failed = await _iam.SignInAsync("alice@example.com", "wrong-password");
        }

        using (var client = _iam.Anonymous())
        using (var send = await client.PostJsonAsync("/api/auth/sign-in/magic-link", new { email = "alice@example.com" }))
        {
            Assert.Equal(HttpStatusCode.OK, send.StatusCode);
        }

        using (var verify = await _iam.VerifyLinkAsync(await _iam.LatestLinkTokenAsync("alice@example.com")))
        {
            Assert.Equal(HttpStatusCode.OK, verify.StatusCode);
        }

        using var signIn = await _iam.SignInAsync("alice@example.com", AuthTestExtensions.StrongPassword);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
    }

    [Fact]
    public async Task DisabledUser_401ForWrongPassword_403OnlyForTheRightOne()
    {
        await _iam.SignUpAsync("alice@example.com");
        await _iam.DbAsync(db => db.Users.ExecuteUpdateAsync(u => u.SetProperty(x => x.DisabledAt, 1L)));

        using var wrong = await _iam.SignInAsync("alice@example.com", "wrong-password");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        using var right = await _iam.SignInAsync("alice@example.com", AuthTestExtensions.StrongPassword);
        Assert.Equal(HttpStatusCode.Forbidden, right.StatusCode);
    }

    [Fact]
    public async Task SignIn_HashWithFewerIterations_IsRehashed()
    {
        await _iam.SignUpAsync("alice@example.com");
        var weak = new PasswordHasher<object>(Options.Create(new PasswordHasherOptions { IterationCount = 100 })).HashPassword(new object(), AuthTestExtensions.StrongPassword);
        await _iam.DbAsync(db => db.Accounts.ExecuteUpdateAsync(u => u.SetProperty(a => a.PasswordHash, weak)));

        using var signIn = await _iam.SignInAsync("alice@example.com", AuthTestExtensions.StrongPassword);

        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var stored = await _iam.DbAsync(db => db.Accounts.Select(a => a.PasswordHash).SingleAsync());
        Assert.NotEqual(weak, stored);
        using var again = await _iam.SignInAsync("alice@example.com", AuthTestExtensions.StrongPassword);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task SignIn_WithCallback_AnswersRedirectUrlOnTheConsole()
    {
        await _iam.SignUpAsync("alice@example.com");
        using var client = _iam.Anonymous();
        using var response = await client.PostJsonAsync("/api/auth/sign-in/email", new { email = "alice@example.com", password = AuthTestExtensions.StrongPassword, callbackURL = "/platforms", rememberMe = false });

        var body = await response.JsonAsync();
        Assert.True(body.GetProperty("redirect").GetBoolean());
        Assert.Equal("http://localhost:5174/platforms", body.GetProperty("url").GetString());
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.DoesNotContain("max-age", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, await _iam.AuditCountAsync("auth.sign_in.succeeded"));
    }
}
