using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Client.Identity;
using Nno.Core.Identity;
using Nno.Iam.Tests.Support;

namespace Nno.Iam.Tests.Sessions;

public sealed class EnrichedSessionTests : IAsyncLifetime
{
    private IamHost _iam = null!;

    public async Task InitializeAsync() => _iam = await IamHost.StartAsync();

    public async Task DisposeAsync() => await _iam.DisposeAsync();

    [Fact]
    public async Task GatewayValidation_NewUser_ReturnsUserRoleAndNoPlatforms()
    {
        var user = await _iam.CreateUserAsync("alice@example.com");

        var session = await _iam.ValidateAsync(user.Token);

        var s = Assert.NotNull(session);
        Assert.Equal(user.Id, s.GetProperty("user").GetProperty("id").GetString());
        Assert.Equal("alice@example.com", s.GetProperty("user").GetProperty("email").GetString());
        Assert.Equal(user.SessionId, s.GetProperty("session").GetProperty("id").GetString());
        Assert.Equal("user", s.GetProperty("role").GetString());
        Assert.False(s.GetProperty("mfaRequired").GetBoolean());
        Assert.Equal(string.Empty, s.GetProperty("platformId").GetString());
        Assert.Empty(s.GetProperty("platforms").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, s.GetProperty("apiKey").ValueKind);
        Assert.Equal(JsonValueKind.Null, s.GetProperty("organization").ValueKind);
        Assert.False(s.GetProperty("session").TryGetProperty("tokenHash", out _));
    }

    [Fact]
    public async Task GatewayValidation_UnknownOrMalformedToken_401()
    {
        Assert.Null(await _iam.ValidateAsync("not-a-token"));
        Assert.Null(await _iam.ValidateAsync(new string('A', 43)));
    }

    [Fact]
    public async Task GatewayValidation_RevokedOrExpiredOrDisabled_401()
    {
        var revoked = await _iam.CreateUserAsync();
        var disabled = await _iam.CreateUserAsync();
        var expired = await _iam.CreateUserAsync();
        await _iam.DbAsync(async db =>
        {
            await db.Sessions.Where(s => s.Id == revoked.SessionId).ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, 1));
            await db.Users.Where(u => u.Id == disabled.Id).ExecuteUpdateAsync(u => u.SetProperty(x => x.DisabledAt, 1));
            await db.Sessions.Where(s => s.Id == expired.SessionId).ExecuteUpdateAsync(u => u.SetProperty(s => s.ExpiresAt, 1));
        });

        Assert.Null(await _iam.ValidateAsync(revoked.Token));
        Assert.Null(await _iam.ValidateAsync(disabled.Token));
        Assert.Null(await _iam.ValidateAsync(expired.Token));

        // A forwarded session principal is re-checked too (iam.md §4.1.2): the gateway's cache may be up to 30 s old.
        using var client = _iam.As(GatewayIdentity.Session(revoked.Id, revoked.SessionId));
        using var response = await client.GetAsync("/api/nno/session");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Platforms_ListEveryMembershipSortedAndActiveFallsBackToEarliestNonOperator()
    {
        var user = await _iam.CreateUserAsync();
        await _iam.AddPlatformMemberAsync("zzzzzzzzz1", user.Id, "member");
        _iam.Time.Advance(TimeSpan.FromSeconds(1));
        await _iam.AddPlatformMemberAsync("aaaaaaaaa1", user.Id, "owner");
        await _iam.AddPlatformMemberAsync("0000000000", user.Id, "owner");

        var s = Assert.NotNull(await _iam.ValidateAsync(user.Token));

        var platforms = s.GetProperty("platforms").EnumerateArray().Select(p => p.GetProperty("platformId").GetString() + ":" + p.GetProperty("role").GetString()).ToList();
        Assert.Equal(["aaaaaaaaa1:owner", "zzzzzzzzz1:member"], platforms);
        Assert.Equal("zzzzzzzzz1", s.GetProperty("platformId").GetString());
        Assert.Equal("member", s.GetProperty("platformRole").GetString());
    }

    [Fact]
    public async Task Operator_WithoutSecondFactorRequirement_IsPlatformAdminWithAllPermissionsAndNoPlatform()
    {
        var op = await _iam.CreateOperatorAsync();
        await _iam.AddPlatformMemberAsync("0000000000", op.Id, "owner");

        var s = Assert.NotNull(await _iam.ValidateAsync(op.Token));

        Assert.Equal("platform-admin", s.GetProperty("role").GetString());
        Assert.Equal(["*"], s.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()).ToList());
        Assert.Equal(string.Empty, s.GetProperty("platformId").GetString());
        Assert.Empty(s.GetProperty("platforms").EnumerateArray());
    }

    [Fact]
    public async Task Operator_WithSecondFactorRequired_ActsAsUserUntilVerified()
    {
        await using var iam = await IamHost.StartAsync(new Dictionary<string, string?> { ["Iam:Mfa:RequireForOperators"] = "true" });
        var op = await iam.CreateOperatorAsync();

        var s = Assert.NotNull(await iam.ValidateAsync(op.Token));

        Assert.Equal("user", s.GetProperty("role").GetString());
        Assert.True(s.GetProperty("mfaRequired").GetBoolean());
        Assert.Empty(s.GetProperty("permissions").EnumerateArray());
    }

    [Fact]
    public async Task ActiveOrganization_Member_GetsMappedPermissionsPlusGrantsMinusDenials()
    {
        var user = await _iam.CreateUserAsync();
        await _iam.AddPlatformMemberAsync("plat000001", user.Id, "member");
        await _iam.DbAsync(async db =>
        {
            var now = _iam.Time.GetUtcNow().ToUnixTimeMilliseconds();
            db.Organizations.Add(new Nno.Iam.Organizations.OrganizationRecord { Id = "org0000001", PlatformId = "plat000001", Name = "Acme", Slug = "acme", OrgType = "tenant", CreatedAt = now, UpdatedAt = now });
            db.Members.Add(new Nno.Iam.Organizations.MemberRecord { Id = "mem_x", OrganizationId = "org0000001", UserId = user.Id, Role = "member", CreatedAt = now, UpdatedAt = now });
            db.RolePermissions.Add(new Nno.Iam.Permissions.RolePermissionsRecord { OrganizationId = "org0000001", Role = "member", Permissions = """["billing:read","billing:write"]""", UpdatedBy = "t", UpdatedAt = now });
            db.PermissionGrants.Add(new Nno.Iam.Permissions.PermissionGrantRecord { Id = "grt_a", OrganizationId = "org0000001", UserId = user.Id, Permission = "billing:write", Granted = false, GrantedBy = "t", CreatedAt = now, ExpiresAt = now + 60_000 });
            db.PermissionGrants.Add(new Nno.Iam.Permissions.PermissionGrantRecord { Id = "grt_b", OrganizationId = "org0000001", UserId = user.Id, Permission = "crm:read", Granted = true, GrantedBy = "t", CreatedAt = now });
            await db.SaveChangesAsync();
            await db.Sessions.Where(x => x.Id == user.SessionId).ExecuteUpdateAsync(u => u.SetProperty(x => x.ActiveOrganizationId, "org0000001"));
        });

        var s = Assert.NotNull(await _iam.ValidateAsync(user.Token));
        Assert.Equal("org0000001", s.GetProperty("organization").GetProperty("id").GetString());
        Assert.Equal("member", s.GetProperty("organization").GetProperty("role").GetString());
        Assert.Equal(["billing:read", "crm:read"], s.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()).ToList());

        // The denial expires: the mapped permission is back.
        _iam.Time.Advance(TimeSpan.FromMinutes(2));
        s = Assert.NotNull(await _iam.ValidateAsync(user.Token));
        Assert.Equal(["billing:read", "billing:write", "crm:read"], s.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()).ToList());
    }

    [Fact]
    public async Task SlidingRenewal_AfterTwoDays_MovesExpiryForwardButNeverPastAbsolute()
    {
        var user = await _iam.CreateUserAsync();
        var first = Assert.NotNull(await _iam.ValidateAsync(user.Token)).GetProperty("session").GetProperty("expiresAt").GetDateTimeOffset();

        _iam.Time.Advance(TimeSpan.FromDays(2));
        var second = Assert.NotNull(await _iam.ValidateAsync(user.Token)).GetProperty("session").GetProperty("expiresAt").GetDateTimeOffset();
        Assert.Equal(first.AddDays(2), second);

        // Used every day, it still dies at the 30-day absolute lifetime.
        for (var day = 3; day < 30; day++)
        {
            _iam.Time.Advance(TimeSpan.FromDays(1));
            Assert.NotNull(await _iam.ValidateAsync(user.Token));
        }

        _iam.Time.Advance(TimeSpan.FromDays(1));
        Assert.Null(await _iam.ValidateAsync(user.Token));
    }

    [Fact]
    public async Task SessionRoute_Callers_FollowThePrincipalRule()
    {
        var user = await _iam.CreateUserAsync();

        // The user's own forwarded session reads it.
        using (var client = _iam.Session(user.Token))
        {
            using var response = await client.GetAsync("/api/nno/session");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The gateway's token with X-Nno-Auth: anonymous → 401.
        using (var anonymous = _iam.Anonymous())
        using (var response = await anonymous.GetAsync("/api/nno/session"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        // A session token presented by the static key is not read: 403.
        using (var raw = _iam.Platform.Client("iam"))
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/api/nno/session"))
        {
            request.Headers.Authorization = new("Bearer", await _iam.TokenOfAsync("gateway"));
            foreach (var (name, value) in GatewayIdentityHeaders.For(GatewayIdentity.StaticKey(IamHost.StaticKeyFingerprint)))
            {
                request.Headers.Add(name, value);
            }

            request.Headers.Add(NnoIdentityHeaders.SessionToken, user.Token);
            using var response = await raw.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        // Another service's token → 403 (only gateway is listed).
        using (var cli = _iam.Service("cli"))
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/api/nno/session"))
        {
            request.Headers.Add(NnoIdentityHeaders.SessionToken, user.Token);
            using var response = await cli.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("FORBIDDEN", body.GetProperty("error").GetProperty("code").GetString());
        }
    }
}
