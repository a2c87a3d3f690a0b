using System.Net;
using System.Text.RegularExpressions;

namespace Nno.Gateway.Tests.Flows;

/// <summary>iam.md §7 test 26 through the gateway: the CLI's device login, with IAM's RFC 8628 answers passed through untouched.</summary>
[Collection(FlowCollection.Name)]
public sealed partial class DeviceFlowTests(FlowFixture fixture)
{
    private const string GrantType = "urn:ietf:params:oauth:grant-type:device_code";
    private readonly FlowPlatform _p = fixture.Platform;

    [Fact]
    public async Task CodeApprovedByAFreshSession_OnePollGetsAWorkingToken_TheNextIsInvalidGrant()
    {
        string deviceCode;
        string userCode;
        using (var code = await _p.PostFormAsync("/api/v1/iam/oauth/device/code", new Dictionary<string, string> { ["client_id"] = "nno-cli" }))
        {
            var body = await code.AssertStatusAsync(HttpStatusCode.OK);
            deviceCode = body.GetProperty("device_code").GetString()!;
            userCode = body.GetProperty("user_code").GetString()!;
            Assert.Matches(UserCodePattern(), userCode);
            Assert.Equal("http://localhost:5174/activate", body.GetProperty("verification_uri").GetString());
            Assert.Equal(5, body.GetProperty("interval").GetInt32());
            Assert.Equal(900, body.GetProperty("expires_in").GetInt32());
            Assert.True(code.Headers.CacheControl?.NoStore);
        }

        var poll = new Dictionary<string, string> { ["grant_type"] = GrantType, ["device_code"] = deviceCode, ["client_id"] = "nno-cli" };
        using (var pending = await _p.PostFormAsync("/api/v1/iam/oauth/device/token", poll))
        {
            await AssertOAuthErrorAsync(pending, "authorization_pending");
        }

        // A device code is never a credential.
        using (var asBearer = await _p.GetAsync("/api/v1/iam/nno/session", deviceCode))
        {
            await asBearer.AssertUnauthorizedAsync();
        }

        var approver = await _p.SignUpAsync();
        using (var lookup = await _p.GetAsync("/api/v1/iam/oauth/device?user_code=" + Uri.EscapeDataString(userCode.ToLowerInvariant()), approver.Token))
        {
            Assert.Equal("pending", (await lookup.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("status").GetString());
        }

        using (var approve = await _p.PostAsync("/api/v1/iam/oauth/device/approve", approver.Token, new { userCode }))
        {
            Assert.Equal("approved", (await approve.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("status").GetString());
        }

        _p.Platform.Time.Advance(TimeSpan.FromSeconds(5));
        string accessToken;
        using (var token = await _p.PostFormAsync("/api/v1/iam/oauth/device/token", poll))
        {
            var body = await token.AssertStatusAsync(HttpStatusCode.OK);
            accessToken = body.GetProperty("access_token").GetString()!;
            Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
            Assert.Equal(30 * 24 * 3600, body.GetProperty("expires_in").GetInt64());
            Assert.Equal(System.Text.Json.JsonValueKind.Null, body.GetProperty("refresh_token").ValueKind);
            Assert.True(token.Headers.CacheControl?.NoStore);
        }

        var session = await _p.SessionAsync(accessToken);
        Assert.Equal(approver.Id, session.GetProperty("user").GetProperty("id").GetString());
        Assert.Equal("device", session.GetProperty("session").GetProperty("authMethod").GetString());
        Assert.Equal(approver.Id, (await _p.ObserveAsync(accessToken)).Header("X-Nno-User-Id"));

        _p.Platform.Time.Advance(TimeSpan.FromSeconds(5));
        using (var second = await _p.PostFormAsync("/api/v1/iam/oauth/device/token", poll))
        {
            await AssertOAuthErrorAsync(second, "invalid_grant");
        }
    }

    /// <summary>RFC 6749 §5.2: exactly <c>{error, error_description}</c>, 400, <c>no-store</c> — not the envelope, not rewritten by the gateway.</summary>
    private static async Task AssertOAuthErrorAsync(HttpResponseMessage response, string error)
    {
        var body = await response.AssertStatusAsync(HttpStatusCode.BadRequest);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["error", "error_description"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(error, body.GetProperty("error").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("error_description").GetString()));
        Assert.True(response.Headers.CacheControl?.NoStore);
        response.AssertNoInternalHeaders();
    }

    [GeneratedRegex("^[BCDFGHJKLMNPQRSTVWXZ]{4}-[0-9]{4}$")]
    private static partial Regex UserCodePattern();
}
