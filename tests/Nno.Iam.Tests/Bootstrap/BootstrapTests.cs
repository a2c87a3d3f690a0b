using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Nno.Iam.Tests.Support;

namespace Nno.Iam.Tests.Bootstrap;

public sealed class BootstrapTests : IAsyncLifetime
{
    private const string Password = "first operator passphrase";
    private IamHost _iam = null!;

    public async Task InitializeAsync() => _iam = await IamHost.StartAsync();

    public async Task DisposeAsync() => await _iam.DisposeAsync();

    private static object Body(string email = "root@example.com") => new { email, password = Password, name = "Root" };

    [Fact]
    public async Task StaticKey_Bootstraps201_SecondCall409_OperatorHasAllPermissionsAndNoPlatform()
    {
        using var staticKey = _iam.StaticKey();
        using (var status = await staticKey.GetAsync("/api/nno/bootstrap"))
        {
            Assert.False((await status.JsonAsync()).GetProperty("bootstrapped").GetBoolean());
        }

        using var first = await staticKey.PostAsJsonAsync("/api/nno/bootstrap", Body());
        using var second = await staticKey.PostAsJsonAsync("/api/nno/bootstrap", Body("other@example.com"));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var body = await first.JsonAsync();
        var user = body.GetProperty("user");
        var userId = user.GetProperty("id").GetString()!;
        Assert.Equal("platform-admin", user.GetProperty("role").GetString());
        Assert.True(user.GetProperty("emailVerified").GetBoolean());
        var organization = body.GetProperty("organization");
        Assert.Equal("nno-operator", organization.GetProperty("orgType").GetString());
        Assert.Equal("nno-operators", organization.GetProperty("slug").GetString());
        Assert.Equal("0000000000", organization.GetProperty("platformId").GetString());
        Assert.Matches("^[a-z0-9]{10}$", organization.GetProperty("id").GetString());

        var (member, platformMember, account, state) = await _iam.DbAsync(async db => (
            await db.Members.SingleAsync(m => m.UserId == userId),
            await db.PlatformMembers.SingleAsync(m => m.UserId == userId),
            await db.Accounts.SingleAsync(a => a.UserId == userId),
            await db.BootstrapState.SingleAsync()));
        Assert.Equal("owner", member.Role);
        Assert.Equal(("0000000000", "owner"), (platformMember.PlatformId, platformMember.Role));
        Assert.NotEqual(PasswordVerificationResult.Failed, new PasswordHasher<object>().VerifyHashedPassword(new object(), account.PasswordHash!, Password));
        Assert.Equal(userId, state.UserId);
        Assert.Contains("bootstrap.completed", await _iam.EventTypesAsync(userId));

        var token = await _iam.NewSessionAsync(userId);
        var session = Assert.NotNull(await _iam.ValidateAsync(token));
        Assert.Equal("platform-admin", session.GetProperty("role").GetString());
        Assert.Equal(["*"], session.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()).ToList());
        Assert.Equal(string.Empty, session.GetProperty("platformId").GetString());

        using var op = _iam.Session(token);
        using var opStatus = await op.GetAsync("/api/nno/bootstrap");
        Assert.True((await opStatus.JsonAsync()).GetProperty("bootstrapped").GetBoolean());
        _iam.AssertLogsDoNotContain(Password);
    }

    [Fact]
    public async Task TwoConcurrentCalls_ExactlyOne201()
    {
        using var a = _iam.StaticKey();
        using var b = _iam.StaticKey();

        var responses = await Task.WhenAll(a.PostAsJsonAsync("/api/nno/bootstrap", Body("a@example.com")), b.PostAsJsonAsync("/api/nno/bootstrap", Body("b@example.com")));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Conflict);
        Assert.Equal(1, await _iam.DbAsync(db => db.Users.CountAsync()));
        Assert.Equal(1, await _iam.DbAsync(db => db.Organizations.CountAsync()));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task OnlyTheStaticKeyBootstraps_BadInput400_NothingCreated()
    {
        var op = await _iam.CreateOperatorAsync();
        var user = await _iam.CreateUserAsync();
        using (var client = _iam.Session(op.Token))
        using (var response = await client.PostAsJsonAsync("/api/nno/bootstrap", Body()))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        using (var client = _iam.Session(user.Token))
        using (var response = await client.GetAsync("/api/nno/bootstrap"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        using (var registry = _iam.Service("registry"))
        using (var response = await registry.PostAsJsonAsync("/api/nno/bootstrap", Body()))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        using var staticKey = _iam.StaticKey();
        using (var weak = await staticKey.PostAsJsonAsync("/api/nno/bootstrap", new { email = "root@example.com", password = "password1234", name = "Root" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
            Assert.Equal("common", (await weak.JsonAsync()).GetProperty("error").GetProperty("details").GetProperty("fields").GetProperty("password")[0].GetString());
        }

        using (var badEmail = await staticKey.PostAsJsonAsync("/api/nno/bootstrap", new { email = "not an email", password = Password, name = "Root" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badEmail.StatusCode);
        }

        using (var extra = await staticKey.PostAsJsonAsync("/api/nno/bootstrap", new { email = "root@example.com", password = Password, name = "Root", role = "user" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, extra.StatusCode);
        }

        Assert.Equal(0, await _iam.DbAsync(db => db.BootstrapState.CountAsync()));
    }

    [Fact]
    public async Task StartUpSeeding_CreatesTheOperatorOnce_ThenTheEndpointAnswers409()
    {
        await using var iam = await IamHost.StartAsync(new Dictionary<string, string?>
        {
            ["Iam:Bootstrap:Email"] = "seed@example.com",
            ["Iam:Bootstrap:Password"] = Password,
            ["Iam:Bootstrap:Name"] = "Seeded Operator",
        });

        var user = await iam.DbAsync(db => db.Users.SingleAsync());
        Assert.Equal(("seed@example.com", "platform-admin", true, "Seeded Operator"), (user.Email, user.Role, user.EmailVerified, user.Name));
        var evt = await iam.DbAsync(db => db.AuditEvents.SingleAsync(e => e.Type == "bootstrap.completed"));
        Assert.Equal("system", evt.ActorKind);
        using var staticKey = iam.StaticKey();
        using var again = await staticKey.PostAsJsonAsync("/api/nno/bootstrap", Body());
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        iam.AssertLogsDoNotContain(Password);
    }

    [Fact]
    public async Task StartUpSeeding_WithAWeakPassword_RefusesToStart()
    {
        await Assert.ThrowsAnyAsync<Exception>(() => IamHost.StartAsync(new Dictionary<string, string?>
        {
            ["Iam:Bootstrap:Email"] = "seed@example.com",
            ["Iam:Bootstrap:Password"] = "short",
        }));
    }
}
