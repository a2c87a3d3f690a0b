using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Iam.Tests.Support;

namespace Nno.Iam.Tests.Devices;

public sealed class DeviceFlowTests : IAsyncLifetime
{
    private const string GrantType = "urn:ietf:params:oauth:grant-type:device_code";
    private IamHost _iam = null!;

    public async Task InitializeAsync() => _iam = await IamHost.StartAsync();

    public async Task DisposeAsync() => await _iam.DisposeAsync();

    private async Task<JsonElement> StartAsync()
    {
        using var cli = _iam.Anonymous("203.0.113.7");
        using var response = await cli.PostAsync("/api/oauth/device/code", new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = "nno-cli", ["scope"] = "openid" }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PollAsync(string deviceCode)
    {
        using var cli = _iam.Anonymous("203.0.113.7");
        var response = await cli.PostAsync("/api/oauth/device/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = GrantType,
            ["device_code"] = deviceCode,
            ["client_id"] = "nno-cli",
        }));
        return (response.StatusCode, await response.JsonAsync(), response);
    }

    private static string Error(JsonElement body) => body.GetProperty("error").GetString()!;

    private async Task<HttpResponseMessage> DecideAsync(string token, string userCode, string decision = "approve", string? password = null)
    {
        using var client = _iam.Session(token);
        return await client.PostAsJsonAsync("/api/oauth/device/" + decision, password is null ? new { userCode } : (object)new { userCode, password });
    }

    [Fact]
    public async Task Code_HasTheSpecifiedShape()
    {
        var body = await StartAsync();

        Assert.Matches("^[BCDFGHJKLMNPQRSTVWXZ]{4}-[0-9]{4}$", body.GetProperty("user_code").GetString());
        Assert.Equal(5, body.GetProperty("interval").GetInt32());
        Assert.Equal(900, body.GetProperty("expires_in").GetInt32());
        Assert.Equal("http://localhost:5174/activate", body.GetProperty("verification_uri").GetString());
        Assert.Equal("http://localhost:5174/activate?user_code=" + body.GetProperty("user_code").GetString(), body.GetProperty("verification_uri_complete").GetString());
        var deviceCode = body.GetProperty("device_code").GetString()!;
        Assert.Equal(43, deviceCode.Length);

        // Stored hashed; never usable as a bearer token.
        var row = await _iam.DbAsync(db => db.DeviceCodes.SingleAsync());
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(deviceCode)), row.DeviceCodeHash);
        Assert.Equal("203.0.113.7", row.RequesterIp);
        Assert.Null(await _iam.ValidateAsync(deviceCode));
    }

    [Fact]
    public async Task Code_AcceptsJsonIgnoresUnknownParameters_ErrorsAreOAuthShapedAndNotCached()
    {
        using var cli = _iam.Anonymous();
        using var json = await cli.PostAsJsonAsync("/api/oauth/device/code", new { client_id = "nno-cli", extra = 1 });
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Equal("no-store", json.Headers.CacheControl?.ToString());

        using var missing = await cli.PostAsync("/api/oauth/device/code", new FormUrlEncodedContent(new Dictionary<string, string> { ["scope"] = "x" }));
        using var wrongClient = await cli.PostAsJsonAsync("/api/oauth/device/code", new { client_id = "evil" });
        using var wrongGrant = await cli.PostAsJsonAsync("/api/oauth/device/token", new { grant_type = "password", device_code = "x", client_id = "nno-cli" });
        using var unknownCode = await cli.PostAsJsonAsync("/api/oauth/device/token", new { grant_type = GrantType, device_code = new string('A', 43), client_id = "nno-cli" });
        foreach (var (response, error) in new[] { (missing, "invalid_request"), (wrongClient, "invalid_client"), (wrongGrant, "unsupported_grant_type"), (unknownCode, "invalid_grant") })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
            var body = await response.JsonAsync();
            Assert.Equal(error, Error(body));
            Assert.Equal(JsonValueKind.String, body.GetProperty("error_description").ValueKind);
        }
    }

    [Fact]
    public async Task Poll_PendingThenSlowDown_ApprovedOnce_ThenInvalidGrant()
    {
        var user = await _iam.CreateUserAsync();
        var code = await StartAsync();
        var deviceCode = code.GetProperty("device_code").GetString()!;

        Assert.Equal("authorization_pending", Error((await PollAsync(deviceCode)).Body));
        Assert.Equal("slow_down", Error((await PollAsync(deviceCode)).Body));
        Assert.Equal(10, await _iam.DbAsync(db => db.DeviceCodes.Select(d => d.IntervalSeconds).SingleAsync()));

        using (var approve = await DecideAsync(user.Token, code.GetProperty("user_code").GetString()!))
        {
            Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
            Assert.Equal("approved", (await approve.JsonAsync()).GetProperty("status").GetString());
        }

        _iam.Time.Advance(TimeSpan.FromSeconds(10));
        var (status, body, response) = await PollAsync(deviceCode);
        response.Dispose();
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(30 * 86400, body.GetProperty("expires_in").GetInt64());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("refresh_token").ValueKind);
        Assert.Equal("openid", body.GetProperty("scope").GetString());
        var token = body.GetProperty("access_token").GetString()!;
        var session = Assert.NotNull(await _iam.ValidateAsync(token));
        Assert.Equal(user.Id, session.GetProperty("user").GetProperty("id").GetString());
        Assert.Equal("device", session.GetProperty("session").GetProperty("authMethod").GetString());
        Assert.Equal("203.0.113.7", session.GetProperty("session").GetProperty("ipAddress").GetString());

        _iam.Time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal("invalid_grant", Error((await PollAsync(deviceCode)).Body));
        var types = await _iam.EventTypesAsync(user.Id);
        Assert.Contains("device.approved", types);
        Assert.Contains("device.token_issued", types);
        _iam.AssertLogsDoNotContain(token, deviceCode);
    }

    [Fact]
    public async Task Deny_PollAnswersAccessDenied_SecondDecision409()
    {
        var user = await _iam.CreateUserAsync();
        var code = await StartAsync();
        var userCode = code.GetProperty("user_code").GetString()!;

        using (var deny = await DecideAsync(user.Token, userCode, "deny"))
        {
            Assert.Equal("denied", (await deny.JsonAsync()).GetProperty("status").GetString());
        }

        using (var again = await DecideAsync(user.Token, userCode))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        }

        Assert.Equal("access_denied", Error((await PollAsync(code.GetProperty("device_code").GetString()!)).Body));
        Assert.Contains("device.denied", await _iam.EventTypesAsync(user.Id));
    }

    [Fact]
    public async Task Code_After900Seconds_ExpiredToken_AndCannotBeApproved()
    {
        var user = await _iam.CreateUserAsync();
        var code = await StartAsync();

        _iam.Time.Advance(TimeSpan.FromSeconds(900));

        Assert.Equal("expired_token", Error((await PollAsync(code.GetProperty("device_code").GetString()!)).Body));
        using var approve = await DecideAsync(user.Token, code.GetProperty("user_code").GetString()!);
        Assert.Equal(HttpStatusCode.NotFound, approve.StatusCode);
    }

    [Fact]
    public async Task SimultaneousPollsAfterApproval_ExactlyOneToken()
    {
        var user = await _iam.CreateUserAsync();
        var code = await StartAsync();
        var deviceCode = code.GetProperty("device_code").GetString()!;
        using (await DecideAsync(user.Token, code.GetProperty("user_code").GetString()!))
        {
        }

        var polls = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => PollAsync(deviceCode)));

        Assert.Single(polls, p => p.Status == HttpStatusCode.OK);
        Assert.All(polls.Where(p => p.Status != HttpStatusCode.OK), p => Assert.Contains(Error(p.Body), new[] { "invalid_grant", "slow_down" }));
        Assert.Single(await _iam.DbAsync(db => db.Sessions.Where(s => s.UserId == user.Id && s.AuthMethod == "device").ToListAsync()));
        foreach (var poll in polls)
        {
            poll.Response.Dispose();
        }
    }

    [Fact]
    public async Task Approve_FromSessionOlderThan15Minutes_NeedsThePassword()
    {
        const string password = "correct horse battery staple";
        var user = await _iam.CreateUserAsync();
        await _iam.SetPasswordAsync(user.Id, password);
        _iam.Time.Advance(TimeSpan.FromMinutes(15));
        var code = await StartAsync();
        var userCode = code.GetProperty("user_code").GetString()!;

        using (var stale = await DecideAsync(user.Token, userCode))
        {
            Assert.Equal(HttpStatusCode.Forbidden, stale.StatusCode);
            Assert.Equal("reauthentication_required", (await stale.JsonAsync()).Reason());
        }

        using (var wrong = await DecideAsync(user.Token, userCode, password: "not the password at all"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        Assert.Equal("pending", await _iam.DbAsync(db => db.DeviceCodes.Select(d => d.Status).SingleAsync()));
        using (var right = await DecideAsync(user.Token, userCode, password: password))
        {
            Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        }

        _iam.AssertLogsDoNotContain(password);
    }

    [Fact]
    public async Task OperatorApprovedDeviceSession_DiesAfterSevenDays_AndKeepsTheSecondFactorState()
    {
        var op = await _iam.CreateOperatorAsync();
        var mfaToken = await _iam.NewSessionAsync(op.Id, mfaVerified: true);
        var code = await StartAsync();
        using (var approve = await DecideAsync(mfaToken, code.GetProperty("user_code").GetString()!))
        {
            Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
        }

        var (_, body, response) = await PollAsync(code.GetProperty("device_code").GetString()!);
        response.Dispose();
        Assert.Equal(86400, body.GetProperty("expires_in").GetInt64());
        var token = body.GetProperty("access_token").GetString()!;
        Assert.True(Assert.NotNull(await _iam.ValidateAsync(token)).GetProperty("session").GetProperty("mfaVerified").GetBoolean());

        // Used twice a day it stays alive, but not past the 7-day absolute lifetime.
        for (var i = 0; i < 13; i++)
        {
            _iam.Time.Advance(TimeSpan.FromHours(12));
            Assert.NotNull(await _iam.ValidateAsync(token));
        }

        _iam.Time.Advance(TimeSpan.FromHours(12));
        Assert.Null(await _iam.ValidateAsync(token));
    }

    [Fact]
    public async Task Lookup_NormalizesCaseSpacesAndHyphens_ElevenMissesIn15Minutes429()
    {
        var user = await _iam.CreateUserAsync();
        var code = await StartAsync();
        var userCode = code.GetProperty("user_code").GetString()!;
        var typed = userCode[..4].ToLowerInvariant() + " " + userCode[5..];
        using var client = _iam.Session(user.Token);

        using (var found = await client.GetAsync("/api/oauth/device?user_code=" + Uri.EscapeDataString(typed)))
        {
            Assert.Equal(HttpStatusCode.OK, found.StatusCode);
            var body = await found.JsonAsync();
            Assert.Equal(userCode, body.GetProperty("userCode").GetString());
            Assert.Equal("nno-cli", body.GetProperty("clientId").GetString());
            Assert.Equal("pending", body.GetProperty("status").GetString());
            Assert.Equal("203.0.113.7", body.GetProperty("requesterIp").GetString());
        }

        var wrong = userCode[..5] + (userCode[5] == '0' ? "1" : "0") + userCode[6..];
        for (var i = 0; i < 10; i++)
        {
            using var miss = await client.GetAsync("/api/oauth/device?user_code=" + wrong);
            Assert.Equal(HttpStatusCode.NotFound, miss.StatusCode);
        }

        using (var limited = await client.GetAsync("/api/oauth/device?user_code=" + userCode))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.NotNull(limited.Headers.RetryAfter);
        }

        // The misses leave the window after 15 minutes (the first code has expired by then: look up a new one).
        _iam.Time.Advance(TimeSpan.FromMinutes(15));
        var next = (await StartAsync()).GetProperty("user_code").GetString()!;
        using var after = await client.GetAsync("/api/oauth/device?user_code=" + next);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}
