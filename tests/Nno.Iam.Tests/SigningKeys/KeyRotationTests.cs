using System.Net;
using Nno.Client.Identity;
using Nno.Testing;
using Nno.Testing.Security;

namespace Nno.Iam.Tests.SigningKeys;

/// <summary>iam.md §7 test 24 and §4.8: keys rotate every 30 days, are published 1 h early and kept 24 h after retirement.</summary>
public sealed class KeyRotationTests : IAsyncLifetime
{
    private TestPlatform _platform = null!;

    public async Task InitializeAsync() =>
        _platform = await TestPlatform.StartAsync(["iam", "registry"], configurePipeline: (_, app) => PrincipalProbe.Map(app));

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Fact]
    public async Task Rotation_After30Days_PublishesSuccessorEarly_AndOldKeyVerifiesUntilPurged()
    {
        var start = _platform.Time.GetUtcNow();
        var oldKid = Assert.Single(await _platform.PublishedKidsAsync());
        var first = (await _platform.IssueServiceTokenAsync("gateway")).Token;
        Assert.Equal(oldKid, IamTestKeys.Kid(first));
        await AssertAcceptedEverywhereAsync(first);

        // One hour before the old key retires, its successor is published but does not sign yet.
        _platform.Time.Advance(TimeSpan.FromDays(30) - TimeSpan.FromHours(1));
        var kids = await _platform.PublishedKidsAsync();
        Assert.Equal(2, kids.Count);
        Assert.Equal(oldKid, kids[0]);
        var newKid = kids[1];
        var beforeSwitch = (await _platform.IssueServiceTokenAsync("gateway")).Token;
        Assert.Equal(oldKid, IamTestKeys.Kid(beforeSwitch));
        await AssertAcceptedEverywhereAsync(beforeSwitch);

        // 30 days after the start the new key signs; the JWKS holds both.
        _platform.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(start.AddDays(30), _platform.Time.GetUtcNow());
        Assert.Equal([oldKid, newKid], await _platform.PublishedKidsAsync());
        var afterSwitch = (await _platform.IssueServiceTokenAsync("gateway")).Token;
        Assert.Equal(newKid, IamTestKeys.Kid(afterSwitch));
        await AssertAcceptedEverywhereAsync(afterSwitch);

        // Tokens under the old key keep verifying until it is purged, 24 h after retirement.
        var oldKey = await _platform.PrivateKeyAsync(oldKid);
        _platform.Time.Advance(TimeSpan.FromHours(24) - TimeSpan.FromMinutes(1));
        Assert.Equal([oldKid, newKid], await _platform.PublishedKidsAsync());
        await AssertAcceptedEverywhereAsync(ForgedTokens.Es256(oldKey, oldKid, ForgedTokens.Claims("gateway", _platform.Time.GetUtcNow())));

        _platform.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal([newKid], await _platform.PublishedKidsAsync());
        var purgedKeyToken = ForgedTokens.Es256(oldKey, oldKid, ForgedTokens.Claims("gateway", _platform.Time.GetUtcNow()));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync("iam", purgedKeyToken));

        // The Registry sees the purge once its 10-minute JWKS cache has expired.
        _platform.Time.Advance(TimeSpan.FromMinutes(10));
        purgedKeyToken = ForgedTokens.Es256(oldKey, oldKid, ForgedTokens.Claims("gateway", _platform.Time.GetUtcNow()));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync("registry", purgedKeyToken));
        await AssertAcceptedEverywhereAsync((await _platform.IssueServiceTokenAsync("gateway")).Token);
    }

    [Fact]
    public async Task Ring_WithNoActiveKeyAfterALongPause_CreatesOneThatSignsAtOnce()
    {
        var oldKid = Assert.Single(await _platform.PublishedKidsAsync());

        // The clock jumps past the old key's retirement in one step: no successor could be published ahead.
        _platform.Time.Advance(TimeSpan.FromDays(30) + TimeSpan.FromMinutes(1));
        var token = (await _platform.IssueServiceTokenAsync("gateway")).Token;
        var newKid = IamTestKeys.Kid(token);
        Assert.NotEqual(oldKid, newKid);
        Assert.Equal([oldKid, newKid], await _platform.PublishedKidsAsync());
        await AssertAcceptedEverywhereAsync(token);
    }

    [Fact]
    public async Task BackgroundCheck_RotatesWithoutAnyRequest()
    {
        Assert.Equal(1, await CountKeyRowsAsync());

        // Nothing uses the ring: only the periodic check (driven by the fake clock) can create the successor.
        _platform.Time.Advance(TimeSpan.FromDays(30) - TimeSpan.FromMinutes(30));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await CountKeyRowsAsync() < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(2, await CountKeyRowsAsync());
    }

    private async Task<long> CountKeyRowsAsync()
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_platform.DataDir, "db", "iam.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM signing_keys";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task AssertAcceptedEverywhereAsync(string token)
    {
        Assert.Equal(HttpStatusCode.OK, await CallAsync("iam", token));
        Assert.Equal(HttpStatusCode.OK, await CallAsync("registry", token));
    }

    private async Task<HttpStatusCode> CallAsync(string service, string token)
    {
        using var client = new HttpClient(new GatewayIdentityHandler(_ => ValueTask.FromResult(token), GatewayIdentity.Anonymous())
        {
            InnerHandler = _platform.Host.Directory.CreateHandler(service),
        }) { BaseAddress = new Uri($"http://{service}.inproc/") };
        using var response = await client.GetAsync(PrincipalProbe.Open);
        return response.StatusCode;
    }
}
