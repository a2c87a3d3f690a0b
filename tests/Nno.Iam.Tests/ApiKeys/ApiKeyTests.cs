using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Credentials;
using Nno.Core.Environments;
using Nno.Core.Identity;
using Nno.Iam.Tests.Support;

namespace Nno.Iam.Tests.ApiKeys;

public sealed partial class ApiKeyTests : IAsyncLifetime
{
    private const string A = "aaaaaaaaa1";
    private const string B = "bbbbbbbbb1";
    private IamHost _iam = null!;

    public async Task InitializeAsync() => _iam = await IamHost.StartAsync();

    public async Task DisposeAsync() => await _iam.DisposeAsync();

    [GeneratedRegex("^nno_(local|dev|stg|prod)_[0-9A-Za-z]{38}$")]
    private static partial Regex KeyPattern();

    private async Task<TestUser> OwnerOfAsync(string platformId, string role = "owner")
    {
        var user = await _iam.CreateUserAsync();
        await _iam.AddPlatformMemberAsync(platformId, user.Id, role);
        return user;
    }

    [Fact]
    public async Task Create_ReturnsKeyOnceWithValidChecksum_StoresOnlyItsHash_ListAndGetNeverReturnIt()
    {
        var owner = await OwnerOfAsync(A);
        using var client = _iam.Session(owner.Token);

        using var created = await client.PostAsJsonAsync("/api/nno/apikey", new { name = "ci", platformId = A, scopes = new[] { "platforms:write", "billing:read", "platforms:write" }, expiresInDays = 30 });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.JsonAsync();
        var key = body.GetProperty("key").GetString()!;
        var id = body.GetProperty("id").GetString()!;
        Assert.Matches(KeyPattern(), key);
        Assert.StartsWith("nno_local_", key);
        Assert.Equal(ApiKeyCheck.Ok, ApiKeyFormat.Validate(key, NnoEnvironment.Local));
        Assert.Equal(key[..14], body.GetProperty("displayPrefix").GetString());
        Assert.Equal(["billing:read", "platforms:write"], body.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()).ToList());
        Assert.Equal(A, body.GetProperty("platformId").GetString());
        Assert.Equal(_iam.Time.GetUtcNow().AddDays(30).ToUnixTimeMilliseconds(), body.GetProperty("expiresAt").GetDateTimeOffset().ToUnixTimeMilliseconds());

        var stored = await _iam.DbAsync(db => db.ApiKeys.SingleAsync(k => k.Id == id));
        Assert.Equal(SHA256.HashData(Encoding.ASCII.GetBytes(key)), stored.KeyHash);
        Assert.False(stored.MfaVerified);

        var list = await (await client.GetAsync("/api/nno/apikey")).Content.ReadAsStringAsync();
        var one = await (await client.GetAsync("/api/nno/apikey/" + id)).Content.ReadAsStringAsync();
        foreach (var text in new[] { list, one })
        {
            Assert.Contains(id, text);
            Assert.DoesNotContain(key, text);
            Assert.DoesNotContain(key[14..], text);
            Assert.DoesNotContain("\"key\"", text);
        }

        Assert.Contains("apikey.created", await _iam.EventTypesAsync(owner.Id));
        _iam.AssertLogsDoNotContain(key, owner.Token);
    }

    [Fact]
    public async Task Create_RepeatedIdempotencyKey_409WithIdAndNoKey()
    {
        var owner = await OwnerOfAsync(A);
        using var client = _iam.Session(owner.Token);
        var payload = new { name = "ci", platformId = A, scopes = new[] { "iam:read" } };

        using var first = new HttpRequestMessage(HttpMethod.Post, "/api/nno/apikey") { Content = JsonContent.Create(payload) };
        first.Headers.Add("Idempotency-Key", "create-key-1");
        using var firstResponse = await client.SendAsync(first);
        var created = await firstResponse.JsonAsync();
        using var again = new HttpRequestMessage(HttpMethod.Post, "/api/nno/apikey") { Content = JsonContent.Create(payload) };
        again.Headers.Add("Idempotency-Key", "create-key-1");
        using var repeat = await client.SendAsync(again);

        Assert.Equal(HttpStatusCode.Created, firstResponse.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, repeat.StatusCode);
        var text = await repeat.Content.ReadAsStringAsync();
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal(created.GetProperty("id").GetString(), body.GetProperty("error").GetProperty("details").GetProperty("id").GetString());
        Assert.DoesNotContain(created.GetProperty("key").GetString()!, text);
        Assert.Equal(1, await _iam.DbAsync(db => db.ApiKeys.CountAsync(k => k.UserId == owner.Id)));
    }

    [Fact]
    public async Task Verify_ReturnsScopesPlatformAndRole_AlteredKeyFailsChecksum()
    {
        var owner = await OwnerOfAsync(A, "admin");
        var key = await _iam.CreateKeyAsync(owner, A, "stacks:read", "cli:write");

        var ok = await _iam.VerifyKeyAsync(key.Key);
        Assert.True(ok.GetProperty("valid").GetBoolean());
        Assert.Equal(key.Id, ok.GetProperty("keyId").GetString());
        Assert.Equal(owner.Id, ok.GetProperty("userId").GetString());
        Assert.Equal("user", ok.GetProperty("role").GetString());
        Assert.Equal(A, ok.GetProperty("platformId").GetString());
        Assert.Equal("admin", ok.GetProperty("platformRole").GetString());
        Assert.Equal(["cli:write", "stacks:read"], ok.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()).ToList());

        // One altered body character: the CRC no longer matches.
        var chars = key.Key.ToCharArray();
        chars[15] = chars[15] == 'a' ? 'b' : 'a';
        var altered = await _iam.VerifyKeyAsync(new string(chars));
        Assert.False(altered.GetProperty("valid").GetBoolean());
        Assert.Equal("bad_checksum", altered.GetProperty("reason").GetString());

        // A well-formed key of another environment, and a made-up valid key.
        var prod = await _iam.VerifyKeyAsync(ApiKeyFormat.Generate(NnoEnvironment.Prod));
        Assert.Equal("wrong_environment", prod.GetProperty("reason").GetString());
        var unknown = await _iam.VerifyKeyAsync(ApiKeyFormat.Generate(NnoEnvironment.Local));
        Assert.Equal("unknown", unknown.GetProperty("reason").GetString());
        Assert.Equal("malformed", (await _iam.VerifyKeyAsync("nno_local_short")).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Revoke_EvictsKey_VerifyFalse_RepeatIs204()
    {
        var owner = await OwnerOfAsync(A);
        var key = await _iam.CreateKeyAsync(owner, A);
        using var client = _iam.Session(owner.Token);

        using var revoked = await client.DeleteAsync("/api/nno/apikey/" + key.Id);

        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal("apikey=" + key.Id, Assert.Single(revoked.Headers.GetValues(Nno.ServiceDefaults.Evictions.CredentialEviction.HeaderName)));
        var verify = await _iam.VerifyKeyAsync(key.Key);
        Assert.False(verify.GetProperty("valid").GetBoolean());
        Assert.Equal("revoked", verify.GetProperty("reason").GetString());
        using var repeat = await client.DeleteAsync("/api/nno/apikey/" + key.Id);
        Assert.Equal(HttpStatusCode.NoContent, repeat.StatusCode);
        var meta = await (await client.GetAsync("/api/nno/apikey/" + key.Id)).JsonAsync();
        Assert.NotEqual(JsonValueKind.Null, meta.GetProperty("revokedAt").ValueKind);
        Assert.Single(await _iam.DbAsync(db => db.AuditEvents.Where(e => e.Type == "apikey.revoked" && e.SubjectUserId == owner.Id).ToListAsync()));
    }

    [Fact]
    public async Task Verify_ExpiredKey_IsInvalid()
    {
        var owner = await OwnerOfAsync(A);
        using var client = _iam.Session(owner.Token);
        using var created = await client.PostAsJsonAsync("/api/nno/apikey", new { name = "short", platformId = A, scopes = new[] { "iam:read" }, expiresInDays = 1 });
        var key = (await created.JsonAsync()).GetProperty("key").GetString()!;

        _iam.Time.Advance(TimeSpan.FromDays(1));

        var verify = await _iam.VerifyKeyAsync(key);
        Assert.False(verify.GetProperty("valid").GetBoolean());
        Assert.Equal("expired", verify.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task PlatformMember_CannotCreateKey_DemotedOwnersKeysLoseAccess()
    {
        var member = await OwnerOfAsync(A, "member");
        using (var client = _iam.Session(member.Token))
        using (var response = await client.PostAsJsonAsync("/api/nno/apikey", new { name = "x", platformId = A, scopes = new[] { "iam:read" } }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        var owner = await OwnerOfAsync(A);
        var key = await _iam.CreateKeyAsync(owner, A);
        Assert.True((await _iam.VerifyKeyAsync(key.Key)).GetProperty("valid").GetBoolean());

        await _iam.DbAsync(db => db.PlatformMembers.Where(m => m.UserId == owner.Id).ExecuteUpdateAsync(u => u.SetProperty(m => m.Role, "member")));

        var verify = await _iam.VerifyKeyAsync(key.Key);
        Assert.False(verify.GetProperty("valid").GetBoolean());
        Assert.Equal("owner_lost_access", verify.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task ApiKeyPrincipal_CannotCreateListOrRevokeKeys_OrApproveDevices()
    {
        var owner = await OwnerOfAsync(A);
        var key = await _iam.CreateKeyAsync(owner, A, "iam:write");
        using var client = _iam.ApiKey(key.Key);

        using var create = await client.PostAsJsonAsync("/api/nno/apikey", new { name = "minted", platformId = A, scopes = new[] { "iam:read" } });
        using var list = await client.GetAsync("/api/nno/apikey");
        using var revoke = await client.DeleteAsync("/api/nno/apikey/" + key.Id);
        using var approve = await client.PostAsJsonAsync("/api/oauth/device/approve", new { userCode = "BCDF-4821" });

        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, approve.StatusCode);
        Assert.Equal(1, await _iam.DbAsync(db => db.ApiKeys.CountAsync(k => k.UserId == owner.Id && k.RevokedAt == null)));
    }

    [Fact]
    public async Task OtherPlatformsKeys_Are404_OperatorsManageAll()
    {
        var ownerA = await OwnerOfAsync(A);
        var ownerB = await OwnerOfAsync(B);
        var keyOfB = await _iam.CreateKeyAsync(ownerB, B);

        using (var client = _iam.Session(ownerA.Token))
        {
            using var create = await client.PostAsJsonAsync("/api/nno/apikey", new { name = "x", platformId = B, scopes = new[] { "iam:read" } });
            using var get = await client.GetAsync("/api/nno/apikey/" + keyOfB.Id);
            using var list = await client.GetAsync("/api/nno/apikey?platformId=" + B);
            using var delete = await client.DeleteAsync("/api/nno/apikey/" + keyOfB.Id);
            foreach (var response in new[] { create, get, list, delete })
            {
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            }

            Assert.Equal("apikey", (await delete.JsonAsync()).GetProperty("error").GetProperty("details").GetProperty("resource").GetString());
            Assert.True((await _iam.VerifyKeyAsync(keyOfB.Key)).GetProperty("valid").GetBoolean());
        }

        var op = await _iam.CreateOperatorAsync();
        using (var client = _iam.Session(op.Token))
        {
            using var create = await client.PostAsJsonAsync("/api/nno/apikey", new { name = "for B", platformId = B, scopes = new[] { "iam:read" } });
            using var unbound = await client.PostAsJsonAsync("/api/nno/apikey", new { name = "global", scopes = new[] { "platforms:read" } });
            using var list = await client.GetAsync("/api/nno/apikey?userId=" + ownerB.Id);
            using var delete = await client.DeleteAsync("/api/nno/apikey/" + keyOfB.Id);
            Assert.Equal(HttpStatusCode.Created, create.StatusCode);
            Assert.Equal(HttpStatusCode.Created, unbound.StatusCode);
            Assert.Equal(JsonValueKind.Null, (await unbound.JsonAsync()).GetProperty("platformId").ValueKind);
            Assert.Equal(keyOfB.Id, Assert.Single((await list.JsonAsync()).GetProperty("data").EnumerateArray()).GetProperty("id").GetString());
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
            var globalKey = (await unbound.JsonAsync()).GetProperty("key").GetString()!;
            var verify = await _iam.VerifyKeyAsync(globalKey);
            Assert.Equal("platform-admin", verify.GetProperty("role").GetString());
            Assert.Equal(string.Empty, verify.GetProperty("platformId").GetString());
        }
    }

    [Fact]
    public async Task OwnerOfAMemberOfB_CreatesKeyForBOnlyAsAdminOrOwner_WithoutSwitching()
    {
        var user = await OwnerOfAsync(A);
        await _iam.AddPlatformMemberAsync(B, user.Id, "member");
        using (var client = _iam.Session(user.Token))
        using (var response = await client.PostAsJsonAsync("/api/nno/apikey", new { name = "b", platformId = B, scopes = new[] { "iam:read" } }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        await _iam.DbAsync(db => db.PlatformMembers.Where(m => m.UserId == user.Id && m.PlatformId == B).ExecuteUpdateAsync(u => u.SetProperty(m => m.Role, "admin")));
        using (var client = _iam.Session(user.Token))
        using (var response = await client.PostAsJsonAsync("/api/nno/apikey", new { name = "b", platformId = B, scopes = new[] { "iam:read" } }))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            Assert.Equal(B, (await response.JsonAsync()).GetProperty("platformId").GetString());
        }

        Assert.Equal(A, (await _iam.ValidateAsync(user.Token))!.Value.GetProperty("platformId").GetString());
    }

    [Fact]
    public async Task Create_BadInput_400AndNothingStored()
    {
        var owner = await OwnerOfAsync(A);
        using var client = _iam.Session(owner.Token);
        object[] bodies =
        [
            new { name = "x", platformId = A, scopes = Array.Empty<string>() },
            new { name = "x", platformId = A, scopes = new[] { "iam:admin" } },
            new { name = "x", platformId = A, scopes = new[] { "Iam:read" } },
            new { name = "x", platformId = A, scopes = Enumerable.Repeat("iam:read", 13).ToArray() },
            new { name = "x", platformId = A, scopes = new[] { "iam:read" }, expiresInDays = 0 },
            new { name = "x", platformId = A, scopes = new[] { "iam:read" }, expiresInDays = 366 },
            new { name = "", platformId = A, scopes = new[] { "iam:read" } },
            new { name = new string('n', 101), platformId = A, scopes = new[] { "iam:read" } },
            new { name = "x", scopes = new[] { "iam:read" } },
            new { name = "x", platformId = A, scopes = new[] { "iam:read" }, role = "platform-admin" },
            new { name = "x", platformId = "NOT-AN-ID", scopes = new[] { "iam:read" } },
        ];

        foreach (var body in bodies)
        {
            using var response = await client.PostAsJsonAsync("/api/nno/apikey", body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("VALIDATION_ERROR", (await response.JsonAsync()).ErrorCode());
        }

        Assert.Equal(0, await _iam.DbAsync(db => db.ApiKeys.CountAsync()));
    }

    [Fact]
    public async Task Create_51stLiveKey_409_RevokingOneFreesASlot()
    {
        await using var iam = await IamHost.StartAsync(new Dictionary<string, string?> { ["Iam:ApiKeys:MaxLivePerUser"] = "50" });
        var owner = await iam.CreateUserAsync();
        await iam.AddPlatformMemberAsync(A, owner.Id, "owner");
        var now = iam.Time.GetUtcNow().ToUnixTimeMilliseconds();
        await iam.DbAsync(async db =>
        {
            for (var i = 0; i < 49; i++)
            {
                db.ApiKeys.Add(new Nno.Iam.ApiKeys.ApiKeyRecord { Id = IamIds.New("key"), UserId = owner.Id, PlatformId = A, Name = "k" + i, DisplayPrefix = "nno_local_xxxx", KeyHash = RandomNumberGenerator.GetBytes(32), Scopes = "[\"iam:read\"]", ExpiresAt = now + 86_400_000, CreatedAt = now });
            }

            await db.SaveChangesAsync();
        });
        var fiftieth = await iam.CreateKeyAsync(owner, A);
        using var client = iam.Session(owner.Token);

        using var over = await client.PostAsJsonAsync("/api/nno/apikey", new { name = "51", platformId = A, scopes = new[] { "iam:read" } });
        Assert.Equal(HttpStatusCode.Conflict, over.StatusCode);

        await client.DeleteAsync("/api/nno/apikey/" + fiftieth.Id);
        using var again = await client.PostAsJsonAsync("/api/nno/apikey", new { name = "51", platformId = A, scopes = new[] { "iam:read" } });
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
    }

    [Fact]
    public async Task Verify_WritesLastUsedAtMostOncePerMinute()
    {
        var owner = await OwnerOfAsync(A);
        var key = await _iam.CreateKeyAsync(owner, A);
        var start = _iam.Time.GetUtcNow().ToUnixTimeMilliseconds();

        await _iam.VerifyKeyAsync(key.Key, "10.0.0.1");
        _iam.Time.Advance(TimeSpan.FromSeconds(30));
        await _iam.VerifyKeyAsync(key.Key, "10.0.0.2");
        var afterHalfMinute = await _iam.DbAsync(db => db.ApiKeys.SingleAsync(k => k.Id == key.Id));
        _iam.Time.Advance(TimeSpan.FromSeconds(31));
        await _iam.VerifyKeyAsync(key.Key, "10.0.0.3");
        var afterMinute = await _iam.DbAsync(db => db.ApiKeys.SingleAsync(k => k.Id == key.Id));

        Assert.Equal(start, afterHalfMinute.LastUsedAt);
        Assert.Equal("10.0.0.1", afterHalfMinute.LastUsedIp);
        Assert.Equal(start + 61_000, afterMinute.LastUsedAt);
        Assert.Equal("10.0.0.3", afterMinute.LastUsedIp);
    }

    [Fact]
    public async Task Verify_OnlyTheGatewaysOwnCall_OtherServices403_Users404()
    {
        var owner = await OwnerOfAsync(A);
        var key = await _iam.CreateKeyAsync(owner, A);

        using var registry = _iam.Service("registry");
        using var fromRegistry = await registry.PostAsJsonAsync("/api/nno/apikey/verify", new { key = key.Key });
        using var user = _iam.Session(owner.Token);
        using var fromUser = await user.PostAsJsonAsync("/api/nno/apikey/verify", new { key = key.Key });
        using var staticKey = _iam.StaticKey();
        using var fromStaticKey = await staticKey.PostAsJsonAsync("/api/nno/apikey/verify", new { key = key.Key });
        using var gateway = _iam.GatewaySelf();
        using var missing = await gateway.PostAsJsonAsync("/api/nno/apikey/verify", new { });

        Assert.Equal(HttpStatusCode.Forbidden, fromRegistry.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, fromUser.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, fromStaticKey.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
    }

    [Fact]
    public async Task List_OwnerSeesPlatformsKeys_AdminOnlyOwn_PagingIsKeysetAndSigned()
    {
        var owner = await OwnerOfAsync(A);
        var admin = await OwnerOfAsync(A, "admin");
        for (var i = 0; i < 3; i++)
        {
            await _iam.CreateKeyAsync(owner, A);
            _iam.Time.Advance(TimeSpan.FromMilliseconds(1));
            await _iam.CreateKeyAsync(admin, A);
        }

        using var ownerClient = _iam.Session(owner.Token);
        using var adminClient = _iam.Session(admin.Token);
        Assert.Equal(6, (await (await ownerClient.GetAsync($"/api/nno/apikey?platformId={A}")).JsonAsync()).GetProperty("data").GetArrayLength());
        Assert.Equal(3, (await (await adminClient.GetAsync($"/api/nno/apikey?platformId={A}")).JsonAsync()).GetProperty("data").GetArrayLength());
        Assert.Equal(3, (await (await ownerClient.GetAsync("/api/nno/apikey")).JsonAsync()).GetProperty("data").GetArrayLength());
        using (var forbidden = await adminClient.GetAsync("/api/nno/apikey?userId=" + owner.Id))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }

        var first = await (await ownerClient.GetAsync($"/api/nno/apikey?platformId={A}&limit=4")).JsonAsync();
        Assert.Equal(JsonValueKind.Null, first.GetProperty("pagination").GetProperty("total").ValueKind);
        Assert.True(first.GetProperty("pagination").GetProperty("hasMore").GetBoolean());
        var cursor = first.GetProperty("pagination").GetProperty("nextCursor").GetString()!;

        // A key created between pages is newer than the cursor: it never shows up twice.
        await _iam.CreateKeyAsync(owner, A);
        var second = await (await ownerClient.GetAsync($"/api/nno/apikey?platformId={A}&limit=4&includeTotal=true&cursor={cursor}")).JsonAsync();
        var ids = first.GetProperty("data").EnumerateArray().Concat(second.GetProperty("data").EnumerateArray()).Select(k => k.GetProperty("id").GetString()).ToList();
        Assert.Equal(6, ids.Count);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(7, second.GetProperty("pagination").GetProperty("total").GetInt32());

        using var tooMany = await ownerClient.GetAsync("/api/nno/apikey?limit=101");
        using var tampered = await ownerClient.GetAsync($"/api/nno/apikey?platformId={A}&cursor={cursor[..^2]}xx");
        using var otherFilter = await ownerClient.GetAsync($"/api/nno/apikey?cursor={cursor}");
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tampered.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, otherFilter.StatusCode);
    }

    [Fact]
    public async Task OperatorKey_WithoutSecondFactor_VerifiesAsUserWhereRequired()
    {
        await using var iam = await IamHost.StartAsync(new Dictionary<string, string?> { ["Iam:Mfa:RequireForOperators"] = "true" });
        var op = await iam.CreateOperatorAsync();
        var verifiedToken = await iam.NewSessionAsync(op.Id, mfaVerified: true);
        var withFactor = await iam.CreateKeyAsync(new TestUser(op.Id, op.Email, verifiedToken, ""), null);
        await iam.AddPlatformMemberAsync(A, op.Id, "owner");
        var withoutFactor = await iam.CreateKeyAsync(op, A);

        Assert.Equal("platform-admin", (await iam.VerifyKeyAsync(withFactor.Key)).GetProperty("role").GetString());
        Assert.Equal("user", (await iam.VerifyKeyAsync(withoutFactor.Key)).GetProperty("role").GetString());
    }
}
