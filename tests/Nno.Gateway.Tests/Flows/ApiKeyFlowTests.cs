using System.Net;
using System.Text.RegularExpressions;
using Nno.Core.Credentials;
using Nno.Core.Environments;

namespace Nno.Gateway.Tests.Flows;

/// <summary>iam.md §7 tests 20 and 22 through the gateway: an API key is shown once, works as a bearer, and dies at once when revoked.</summary>
[Collection(FlowCollection.Name)]
public sealed partial class ApiKeyFlowTests(FlowFixture fixture)
{
    private readonly FlowPlatform _p = fixture.Platform;

    [Fact]
    public async Task OwnerCreatesKey_ShownOnce_WorksAsBearer_RevokedKeyIsRejectedAtOnce()
    {
        var platformA = FlowPlatform.NewPlatformId();
        var owner = await _p.PlatformUserAsync(platformA, "owner");

        string id;
        string key;
        using (var created = await _p.PostAsync("/api/v1/iam/nno/apikey", owner.Token, new { name = "ci", platformId = platformA, scopes = new[] { "iam:read", "iam:write", "billing:read" } }))
        {
            var body = await created.AssertStatusAsync(HttpStatusCode.Created);
            id = body.GetProperty("id").GetString()!;
            key = body.GetProperty("key").GetString()!;
            Assert.Matches(KeyPattern(), key);
            Assert.Equal(ApiKeyCheck.Ok, ApiKeyFormat.Validate(key, NnoEnvironment.Local));
            Assert.Equal(key[..14], body.GetProperty("displayPrefix").GetString());
            Assert.Equal(platformA, body.GetProperty("platformId").GetString());
        }

        // The key as a bearer: IAM answers for its owner, services see the key's identity and platform only.
        using (var profile = await _p.GetAsync("/api/v1/iam/auth/profile", key))
        {
            Assert.Equal(owner.Id, (await profile.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("id").GetString());
        }

        var seen = await _p.ObserveAsync(key);
        Assert.Equal("apikey", seen.Header("X-Nno-Auth"));
        Assert.Equal(owner.Id, seen.Header("X-Nno-User-Id"));
        Assert.Equal(id, seen.Header("X-Nno-Key-Id"));
        Assert.Equal("billing:read,iam:read,iam:write", seen.Header("X-Nno-Scopes"));
        Assert.Equal(platformA + ":owner", seen.Header("X-Nno-Platforms"));
        Assert.Equal(platformA, seen.Header("X-Nno-Platform-Id"));

        // An API key cannot manage keys (S only), and nothing ever shows the key again.
        using (var byKey = await _p.GetAsync("/api/v1/iam/nno/apikey", key))
        {
            await byKey.AssertErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using (var list = await _p.GetAsync("/api/v1/iam/nno/apikey", owner.Token))
        {
            var text = await list.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
            Assert.Contains(id, text, StringComparison.Ordinal);
            Assert.DoesNotContain(key, text, StringComparison.Ordinal);
            Assert.DoesNotContain(key[14..], text, StringComparison.Ordinal);
        }

        using (var one = await _p.GetAsync("/api/v1/iam/nno/apikey/" + id, owner.Token))
        {
            var text = await one.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, one.StatusCode);
            Assert.DoesNotContain(key[14..], text, StringComparison.Ordinal);
        }

        // One altered character fails the checksum; a well-formed key IAM never issued is unknown: both 401.
        var altered = key[..20] + (key[20] == 'a' ? 'b' : 'a') + key[21..];
        using (var bad = await _p.GetAsync("/api/v1/iam/auth/profile", altered))
        {
            await bad.AssertUnauthorizedAsync();
        }

        using (var unknown = await _p.GetAsync("/api/v1/iam/auth/profile", ApiKeyFormat.Generate(NnoEnvironment.Local)))
        {
            await unknown.AssertUnauthorizedAsync();
        }

        // Revoked with the session through the gateway: the cached key is evicted, the client sees no eviction header.
        using (var revoke = await _p.DeleteAsync("/api/v1/iam/nno/apikey/" + id, owner.Token))
        {
            await revoke.AssertStatusAsync(HttpStatusCode.NoContent);
            revoke.AssertNoInternalHeaders();
        }

        using (var after = await _p.GetAsync("/api/v1/iam/auth/profile", key))
        {
            await after.AssertUnauthorizedAsync();
        }

        using (var listed = await _p.GetAsync("/api/v1/iam/nno/apikey/" + id, owner.Token))
        {
            Assert.NotEqual(System.Text.Json.JsonValueKind.Null, (await listed.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("revokedAt").ValueKind);
        }
    }

    [GeneratedRegex("^nno_local_[0-9A-Za-z]{38}$")]
    private static partial Regex KeyPattern();
}
