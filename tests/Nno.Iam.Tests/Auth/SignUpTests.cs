using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Iam.Passwords;
using Nno.Iam.Tests.Support;

namespace Nno.Iam.Tests.Auth;

public sealed class SignUpTests : IAsyncLifetime
{
    private IamHost _iam = null!;

    public async Task InitializeAsync() => _iam = await IamHost.StartAsync();

    public async Task DisposeAsync() => await _iam.DisposeAsync();

    [Fact]
    public async Task SignUp_ReturnsTokenStoredOnlyAsHash_UserRoleNoPlatforms_AndQueuesConsoleVerifyLink()
    {
        var body = await _iam.SignUpAsync("alice@example.com");

        var token = body.GetProperty("token").GetString()!;
        Assert.Equal(43, token.Length);
        Assert.Equal("alice@example.com", body.GetProperty("user").GetProperty("email").GetString());
        Assert.False(body.GetProperty("user").GetProperty("emailVerified").GetBoolean());

        var hashes = await _iam.DbAsync(db => db.Sessions.Select(s => s.TokenHash).ToListAsync());
        var stored = Assert.Single(hashes);
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(token)), stored);

        var session = Assert.NotNull(await _iam.ValidateAsync(token));
        Assert.Equal("user", session.GetProperty("role").GetString());
        Assert.Equal(string.Empty, session.GetProperty("platformId").GetString());
        Assert.Empty(session.GetProperty("platforms").EnumerateArray());
        Assert.Equal("sign-up", session.GetProperty("session").GetProperty("authMethod").GetString());

        var text = Assert.Single(await _iam.MailTextsAsync(q => q.Where(m => m.Template == "verify-email")));
        Assert.Contains("http://localhost:5174/auth/magic-link?token=", text);
        Assert.DoesNotContain("/api/", text);
        Assert.Equal(1, await _iam.AuditCountAsync("user.signed_up"));
    }

    [Fact]
    public async Task SignUp_SameAddressInAnotherCase_409_AndSignInIgnoresCaseAndSpaces()
    {
        await _iam.SignUpAsync("Alice@Example.COM");

        using var client = _iam.Anonymous();
        using var again = await client.PostJsonAsync("/api/auth/sign-up/email", new { email = "alice@example.com", password = AuthTestExtensions.StrongPassword, name = "A" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("CONFLICT", (await again.JsonAsync()).GetProperty("error").GetProperty("code").GetString());

        using var signIn = await _iam.SignInAsync(" ALICE@example.com ", AuthTestExtensions.StrongPassword);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var body = await signIn.JsonAsync();
        Assert.Equal("Alice@Example.COM", body.GetProperty("user").GetProperty("email").GetString());
        Assert.NotNull(await _iam.ValidateAsync(body.GetProperty("token").GetString()!));
    }

    [Theory]
    [InlineData("short", "too_short")]
    [InlineData("password1234", "common")]
    [InlineData("bob@example.com", "contains_email")]
    [InlineData("aaaaaaaaaaaa", "repetitive")]
    public async Task SignUp_WeakPassword_400WithTheMatchingCode(string password, string code)
    {
        using var client = _iam.Anonymous();
        using var response = await client.PostJsonAsync("/api/auth/sign-up/email", new { email = "bob@example.com", password, name = "Bob" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.JsonAsync()).GetProperty("error");
        Assert.Equal("VALIDATION_ERROR", error.GetProperty("code").GetString());
        Assert.Equal(code, error.GetProperty("details").GetProperty("fields").GetProperty("password")[0].GetString());
        Assert.Equal(0, await _iam.DbAsync(db => db.Users.CountAsync()));
    }

    [Fact]
    public async Task SignUp_RandomTwelveCharacterPassword_StoredAsIdentityV3Hash()
    {
        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(9));
        Assert.Equal(12, password.Length);

        await _iam.SignUpAsync("carol@example.com", password);

        var hash = await _iam.DbAsync(db => db.Accounts.Select(a => a.PasswordHash).SingleAsync());
        Assert.Equal(0x01, Convert.FromBase64String(hash!)[0]);
        Assert.Equal(100_000, new PasswordOptions().Iterations);
    }

    [Theory]
    [InlineData("role")]
    [InlineData("emailVerified")]
    [InlineData("disabledAt")]
    [InlineData("platformId")]
    public async Task SignUp_MassAssignmentField_400NamingIt(string field)
    {
        using var client = _iam.Anonymous();
        var body = new Dictionary<string, object> { ["email"] = "mallory@example.com", ["password"] = AuthTestExtensions.StrongPassword, ["name"] = "M", [field] = field == "emailVerified" ? true : "platform-admin" };
        using var response = await client.PostAsJsonAsync("/api/auth/sign-up/email", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("error").GetProperty("details").GetProperty("fields").TryGetProperty(field, out _));
        Assert.Equal(0, await _iam.DbAsync(db => db.Users.CountAsync()));
    }

    [Fact]
    public async Task SignUp_MalformedOrMissingFields_400()
    {
        using var client = _iam.Anonymous();
        using var malformed = await client.PostAsync("/api/auth/sign-up/email", new StringContent("{\"email\":", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);

        using var missing = await client.PostJsonAsync("/api/auth/sign-up/email", new { email = "x@example.com" });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        var fields = (await missing.JsonAsync()).GetProperty("error").GetProperty("details").GetProperty("fields");
        Assert.True(fields.TryGetProperty("password", out _));

        using var badEmail = await client.PostJsonAsync("/api/auth/sign-up/email", new { email = "Alice <a@example.com>", password = AuthTestExtensions.StrongPassword, name = "A" });
        Assert.Equal(HttpStatusCode.BadRequest, badEmail.StatusCode);
    }

    [Fact]
    public async Task AuthRoutes_BodyOver64KiB_413()
    {
        using var client = _iam.Anonymous();
        var padding = new string('a', 70 * 1024);
        using var response = await client.PostJsonAsync("/api/auth/sign-in/email", new { email = "a@example.com", password = padding });

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("PAYLOAD_TOO_LARGE", (await response.JsonAsync()).GetProperty("error").GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("//evil.example")]
    [InlineData("javascript:alert(1)")]
    [InlineData("https://evil.example/welcome")]
    public async Task CallbackUrl_OpenRedirect_400(string callbackUrl)
    {
        using var client = _iam.Anonymous();
        using var signUp = await client.PostJsonAsync("/api/auth/sign-up/email", new { email = "dan@example.com", password = AuthTestExtensions.StrongPassword, name = "Dan", callbackURL = callbackUrl });
        Assert.Equal(HttpStatusCode.BadRequest, signUp.StatusCode);
        Assert.True((await signUp.JsonAsync()).GetProperty("error").GetProperty("details").GetProperty("fields").TryGetProperty("callbackURL", out _));

        using var magic = await client.PostJsonAsync("/api/auth/sign-in/magic-link", new { email = "dan@example.com", callbackURL = callbackUrl });
        Assert.Equal(HttpStatusCode.BadRequest, magic.StatusCode);

        using var verify = await _iam.VerifyLinkAsync(new string('A', 43), callbackUrl);
        Assert.Equal(HttpStatusCode.BadRequest, verify.StatusCode);
        Assert.Equal(0, await _iam.DbAsync(db => db.Users.CountAsync()));
    }

    [Fact]
    public async Task SignUp_Disabled_403()
    {
        await using var iam = await IamHost.StartAsync(new Dictionary<string, string?> { ["Iam:SignUpEnabled"] = "false" });
        using var client = iam.Anonymous();
        using var response = await client.PostJsonAsync("/api/auth/sign-up/email", new { email = "erin@example.com", password = AuthTestExtensions.StrongPassword, name = "Erin" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task SignUp_SetsTheCompatibilityCookie()
    {
        using var client = _iam.Anonymous();
        using var response = await client.PostJsonAsync("/api/auth/sign-up/email", new { email = "frank@example.com", password = AuthTestExtensions.StrongPassword, name = "Frank" });
        var token = (await response.JsonAsync()).GetProperty("token").GetString();

        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("nno.session_token=" + token + ";", cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("max-age=2592000", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("domain=", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("nno.run")]
    [InlineData(".nno.run")]
    [InlineData("eu.nno.run")]
    [InlineData("run")]
    public async Task StartUp_CookieDomainOverlappingThePlatformDomain_Refused(string cookieDomain)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => IamHost.StartAsync(new Dictionary<string, string?>
        {
            ["Nno:PlatformDomain"] = "nno.run",
            ["Iam:CookieDomain"] = cookieDomain,
        }));

        Assert.Contains("CookieDomain", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartUp_CookieDomainOfTheConsole_Accepted()
    {
        await using var iam = await IamHost.StartAsync(new Dictionary<string, string?> { ["Nno:PlatformDomain"] = "nno.run", ["Iam:CookieDomain"] = "console.nno.app" });
        using var client = iam.Anonymous();
        using var response = await client.PostJsonAsync("/api/auth/sign-up/email", new { email = "gina@example.com", password = AuthTestExtensions.StrongPassword, name = "Gina" });

        Assert.Contains("domain=console.nno.app", Assert.Single(response.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);
    }
}
