using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Nno.Client.Identity;
using Nno.Core.Services;
using Nno.Registry.Tests.Support;

namespace Nno.Registry.Tests.Access;

/// <summary>registry.md §7 tests 1, 7, 9 and 37 on the platform routes: who sees which platform and who may do what.</summary>
public sealed class PlatformAccessTests : IAsyncLifetime
{
    private RegistryHost _host = null!;
    private string _a = null!;
    private string _b = null!;

    public async Task InitializeAsync()
    {
        _host = await RegistryHost.StartAsync();
        _a = (await _host.ImportAsync("alpha", owner: "usr_alice")).GetProperty("id").GetString()!;
        _b = (await _host.ImportAsync("bravo", owner: "usr_bob", tier: "growth")).GetProperty("id").GetString()!;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>Every id-taking route of the platform core, as (method, path template, body).</summary>
    public static TheoryData<string, string> Routes => new()
    {
        { "GET", "{pid}" },
        { "PATCH", "{pid}" },
        { "POST", "{pid}/suspend" },
        { "POST", "{pid}/restore" },
        { "POST", "{pid}/cancel" },
        { "POST", "{pid}/resume" },
        { "POST", "{pid}/delete" },
        { "GET", "{pid}/lifecycle-events" },
        { "GET", "{pid}/audit-log" },
        { "POST", "{pid}/ownership-transfer" },
        { "POST", "{pid}/ownership-transfer/accept" },
        { "DELETE", "{pid}/ownership-transfer" },
    };

    private static HttpRequestMessage Request(string method, string template, string pid)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), $"{RegistryApi.Platforms}/{template.Replace("{pid}", pid, StringComparison.Ordinal)}");
        if (method is "POST" or "PATCH")
        {
            request.Content = JsonContent.Create(method == "PATCH" ? new { name = "Hijacked" }
                : template.EndsWith("/ownership-transfer", StringComparison.Ordinal) ? new { toUserId = "usr_alice2" }
                : template.EndsWith("/accept", StringComparison.Ordinal) ? new { } : (object)new { reason = "probe" });
        }

        return request;
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task OtherPlatformsId_WithSessionOrApiKey_Is404IdenticalToRandomId(string method, string template)
    {
        using var session = _host.User("usr_alice", (_a, "owner"));
        using var key = _host.ApiKey("usr_alice", _a, "owner", "platforms:write");
        foreach (var client in new[] { session, key })
        {
            using var foreign = await client.SendAsync(Request(method, template, _b));
            using var random = await client.SendAsync(Request(method, template, "zz99zz99zz"));
            var foreignBody = await foreign.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
            var randomBody = await random.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
            Assert.Equal(RegistryApi.WithoutRequestId(randomBody), RegistryApi.WithoutRequestId(foreignBody));
            Assert.Equal("platform", foreignBody.GetProperty("error").GetProperty("details").GetProperty("resource").GetString());
        }

        Assert.Equal("Platform bravo", (await _host.Operator().GetFromJsonAsync<JsonElement>($"{RegistryApi.Platforms}/{_b}")).GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("GET", "ABCDEFGHIJ")]
    [InlineData("GET", "short")]
    [InlineData("GET", "abcdefghijk")]
    [InlineData("POST", "abc_defghi/suspend")]
    [InlineData("GET", "NOTANID/entities")]
    public async Task MalformedId_Is404PlatformLikeANonexistentOne(string method, string path)
    {
        using var op = _host.Operator();
        using var response = await op.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"{RegistryApi.Platforms}/{path}"));
        var body = await response.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        using var missing = await op.GetAsync($"{RegistryApi.Platforms}/zz99zz99zz");
        Assert.Equal(RegistryApi.WithoutRequestId(await missing.ReadJsonAsync()), RegistryApi.WithoutRequestId(body));
    }

    [Fact]
    public async Task Member_ReadsPlatform_WritesAndAuditReadsAre403()
    {
        using var member = _host.User("usr_m", (_a, "member"));
        using (var get = await member.GetAsync($"{RegistryApi.Platforms}/{_a}"))
        {
            await get.ExpectAsync(HttpStatusCode.OK);
        }

        foreach (var (method, template) in new[] { ("PATCH", "{pid}"), ("GET", "{pid}/audit-log"), ("GET", "{pid}/lifecycle-events"), ("POST", "{pid}/cancel") })
        {
            using var response = await member.SendAsync(Request(method, template, _a));
            await response.ExpectErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }
    }

    [Fact]
    public async Task Admin_ReadsAuditAndEvents_AndRenames()
    {
        using var admin = _host.User("usr_adm", (_a, "admin"));
        foreach (var (method, template) in new[] { ("GET", "{pid}/audit-log"), ("GET", "{pid}/lifecycle-events"), ("PATCH", "{pid}") })
        {
            using var response = await admin.SendAsync(Request(method, template, _a));
            await response.ExpectAsync(HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task OwnerOfTwoPlatforms_WritesToTheOtherWithoutSwitching()
    {
        using var user = _host.As(GatewayIdentity.Session("usr_both", "ses_both",
            platforms: new Dictionary<string, string> { [_a] = "owner", [_b] = "owner" }, activePlatformId: _a));
        using var response = await user.PatchJsonAsync($"{RegistryApi.Platforms}/{_b}", new { name = "Bravo renamed" });
        Assert.Equal("Bravo renamed", (await response.ExpectAsync(HttpStatusCode.OK)).GetProperty("name").GetString());
    }

    [Fact]
    public async Task ApiKeyOfA_WhoseOwnerAlsoOwnsB_Is404OnB()
    {
        using var key = _host.ApiKey("usr_alice", _a, "owner", "platforms:write");
        using var response = await key.GetAsync($"{RegistryApi.Platforms}/{_b}");
        await response.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task OwnerUserIdWithoutIamRole_Is404()
    {
        // usr_alice is platforms.owner_user_id of A, but her session no longer lists A.
        using var alice = _host.User("usr_alice", (_b, "member"));
        using var response = await alice.GetAsync($"{RegistryApi.Platforms}/{_a}");
        await response.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task ApiKeyScopes_ReadKeyReads_WriteNeedsWriteScope()
    {
        using var reader = _host.ApiKey("usr_alice", _a, "owner", "platforms:read");
        using (var get = await reader.GetAsync($"{RegistryApi.Platforms}/{_a}"))
        {
            await get.ExpectAsync(HttpStatusCode.OK);
        }

        using (var patch = await reader.PatchJsonAsync($"{RegistryApi.Platforms}/{_a}", new { name = "Nope" }))
        {
            var error = await patch.ExpectErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
            Assert.Equal("platforms:write", error.GetProperty("error").GetProperty("details").GetProperty("requiredScope").GetString());
        }

        using var otherArea = _host.ApiKey("usr_alice", _a, "owner", "billing:write");
        using (var get = await otherArea.GetAsync($"{RegistryApi.Platforms}/{_a}"))
        {
            await get.ExpectErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using var writer = _host.ApiKey("usr_alice", _a, "owner", "platforms:write");
        using var ok = await writer.PatchJsonAsync($"{RegistryApi.Platforms}/{_a}", new { name = "Keyed" });
        await ok.ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task StatusGate_SuspendedBlocksOwnerNotOperator_CancelledBlocksEveryone_ProvisioningIs409ForUsers()
    {
        using var owner = _host.User("usr_alice", (_a, "owner"));
        using var op = _host.Operator();
        var url = $"{RegistryApi.Platforms}/{_a}";

        await _host.SetStatusAsync(_a, "suspended");
        using (var r = await owner.PatchJsonAsync(url, new { name = "S" }))
        {
            await r.ExpectErrorAsync(HttpStatusCode.Forbidden, "PLATFORM_SUSPENDED");
        }

        using (var r = await op.PatchJsonAsync(url, new { name = "S by op" }))
        {
            await r.ExpectAsync(HttpStatusCode.OK);
        }

        await _host.SetStatusAsync(_a, "provisioning");
        using (var r = await owner.PatchJsonAsync(url, new { name = "P" }))
        {
            await r.ExpectErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        }

        await _host.SetStatusAsync(_a, "cancelled");
        using (var r = await owner.PatchJsonAsync(url, new { name = "C" }))
        {
            await r.ExpectErrorAsync(HttpStatusCode.Forbidden, "PLATFORM_INACTIVE");
        }

        using (var r = await op.PatchJsonAsync(url, new { name = "C by op" }))
        {
            await r.ExpectErrorAsync(HttpStatusCode.Forbidden, "PLATFORM_INACTIVE");
        }
    }

    [Fact]
    public async Task NoServiceToken_Is401_EvenWithForgedIdentityHeaders()
    {
        using var client = _host.Platform.Client(NnoServices.Registry);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{RegistryApi.Platforms}/{_a}");
        request.Headers.Add("X-Nno-Auth", "session");
        request.Headers.Add("X-Nno-User-Id", "usr_alice");
        request.Headers.Add("X-Nno-Role", "platform-admin");
        using var response = await client.SendAsync(request);
        await response.ExpectErrorAsync(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task MalformedId_WithoutServiceToken_Is401First()
    {
        using var client = _host.Platform.Client(NnoServices.Registry);
        using var response = await client.GetAsync($"{RegistryApi.Platforms}/NOT-AN-ID/entities");
        await response.ExpectErrorAsync(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task UnknownChildRoute_UnderAValidId_StaysARouting404()
    {
        using var op = _host.Operator();
        using var response = await op.GetAsync($"{RegistryApi.Platforms}/{_a}/no-such-thing");
        var error = await response.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Equal(JsonValueKind.Null, error.GetProperty("error").GetProperty("details").ValueKind);
    }

    [Fact]
    public async Task OtherServicesToken_OnPlatformRoute_Is403()
    {
        using var billing = await _host.ServiceAsync(NnoServices.Billing);
        using var response = await billing.GetAsync($"{RegistryApi.Platforms}/{_a}");
        await response.ExpectErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
    }

    [Fact]
    public async Task StaticKey_ActsAsOperator()
    {
        using var key = _host.StaticKey();
        using var response = await key.PostJsonAsync($"{RegistryApi.Platforms}/{_a}/suspend", new { reason = "static key" });
        await response.ExpectAsync(HttpStatusCode.OK);
        var audit = await _host.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(
            db.AuditLog, a => a.PlatformId == _a && a.Action == "platform.suspended"));
        Assert.Equal(("operator", "static-key:" + RegistryHost.StaticKeyFingerprint, "service"), (audit.ActorType, audit.ActorId, audit.ActorAuth));
    }
}
