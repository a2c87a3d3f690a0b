using System.Net;
using System.Security.Cryptography;
using Nno.Client.Identity;
using Nno.Iam.ApiKeys;
using Nno.Iam.Tests.Support;

namespace Nno.Iam.Tests.Auth;

/// <summary>Who may call the auth routes (iam.md §3.1 "S only", §7 test 22).</summary>
public sealed class AuthPrincipalTests : IAsyncLifetime
{
    private IamHost _iam = null!;

    public async Task InitializeAsync() => _iam = await IamHost.StartAsync();

    public async Task DisposeAsync() => await _iam.DisposeAsync();

    private async Task<HttpClient> ApiKeyClientAsync(string userId)
    {
        var now = _iam.Time.GetUtcNow().ToUnixTimeMilliseconds();
        await _iam.DbAsync(async db =>
        {
            db.ApiKeys.Add(new ApiKeyRecord
            {
                Id = "key_aaaaaaaaaaaaaaaaaaaa", UserId = userId, Name = "ci", DisplayPrefix = "nno_local_abcd", KeyHash = RandomNumberGenerator.GetBytes(32),
                Scopes = "[\"iam:read\"]", ExpiresAt = now + 86_400_000, CreatedAt = now,
            });
            await db.SaveChangesAsync();
        });
        return _iam.As(GatewayIdentity.ApiKey(userId, "key_aaaaaaaaaaaaaaaaaaaa", ["iam:read"]));
    }

    [Fact]
    public async Task ApiKey_ReadsProfile_ButSessionOnlyRoutesAnswer403()
    {
        var user = await _iam.CreateUserAsync("alice@example.com");
        using var key = await ApiKeyClientAsync(user.Id);

        using (var profile = await key.GetAsync("/api/auth/profile"))
        {
            Assert.Equal(HttpStatusCode.OK, profile.StatusCode);
            Assert.Equal(user.Id, (await profile.JsonAsync()).GetProperty("id").GetString());
        }

        foreach (var path in new[] { "/api/auth/sign-out", "/api/sessions/revoke-others", "/api/auth/two-factor/enable", "/api/auth/delete-user" })
        {
            using var response = await key.PostAsync(path, null);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        using var change = await key.PostJsonAsync("/api/auth/change-password", new { newPassword = AuthTestExtensions.StrongPassword });
        Assert.Equal(HttpStatusCode.Forbidden, change.StatusCode);
        Assert.NotNull(await _iam.ValidateAsync(user.Token));
    }

    [Fact]
    public async Task Anonymous_SessionRoutes401_OtherServices403()
    {
        using var anonymous = _iam.Anonymous();
        using (var signOut = await anonymous.PostAsync("/api/auth/sign-out", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, signOut.StatusCode);
        }

        using (var sessions = await anonymous.GetAsync("/api/sessions"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, sessions.StatusCode);
        }

        using var registry = _iam.Service("registry");
        using var signIn = await registry.PostJsonAsync("/api/auth/sign-in/email", new { email = "a@example.com", password = "whatever-password" });
        Assert.Equal(HttpStatusCode.Forbidden, signIn.StatusCode);
    }
}
