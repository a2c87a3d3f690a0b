using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Client.Identity;
using Nno.Iam.Audit;
using Nno.Iam.Mail;
using Nno.Iam.Platforms;
using Nno.Iam.Tests.Mail;
using Nno.Iam.Users;
using Nno.Testing;
using Nno.Testing.Security;

namespace Nno.Iam.Tests.Notifications;

/// <summary>iam.md §7 test 36 and §4.10: the Registry queues notification emails for a platform's owners, admins, operators or one user.</summary>
public sealed class NotificationsTests : IAsyncLifetime
{
    private const string PlatformA = "plata00001";
    private const string EmptyPlatform = "platz00009";
    private TestPlatform _platform = null!;
    private HttpClient _registry = null!;

    public async Task InitializeAsync()
    {
        _platform = await TestPlatform.StartAsync(["iam"], new Dictionary<string, string?> { ["Iam:Passwords:Iterations"] = "1000", ["Iam:ConsoleBaseUrl"] = "https://console.nno.test" });
        _registry = _platform.ClientWithToken("iam", (await _platform.IssueServiceTokenAsync("registry")).Token);

        await using var scope = _platform.IamScope(out var db);
        db.Users.AddRange(
            User("usr_owner1", "Owner1@Example.com"),
            User("usr_owner2", "owner2@example.com"),
            User("usr_admin1", "admin1@example.com"),
            User("usr_member1", "member1@example.com"),
            User("usr_ownerdisabled", "gone@example.com", disabled: true),
            User("usr_op1", "op1@example.com", UserRoles.PlatformAdmin),
            User("usr_op2", "op2@example.com", UserRoles.PlatformAdmin),
            User("usr_opdisabled", "op3@example.com", UserRoles.PlatformAdmin, disabled: true));
        db.PlatformMembers.AddRange(
            Member("usr_owner1", "owner"),
            Member("usr_owner2", "owner"),
            Member("usr_admin1", "admin"),
            Member("usr_member1", "member"),
            Member("usr_ownerdisabled", "owner"));
        await db.SaveChangesAsync();
    }

    public async Task DisposeAsync()
    {
        _registry.Dispose();
        await _platform.DisposeAsync();
    }

    private static UserRecord User(string id, string email, string role = UserRoles.User, bool disabled = false) => new()
    {
        Id = id,
        Email = email,
        EmailNormalized = email.ToLowerInvariant(),
        Name = id,
        Role = role,
        EmailVerified = true,
        DisabledAt = disabled ? 1 : null,
    };

    private static PlatformMemberRecord Member(string userId, string role) =>
        new() { PlatformId = PlatformA, UserId = userId, Role = role, AddedBy = "registry" };

    private async Task<(HttpStatusCode Status, JsonElement Body)> NotifyAsync(object body, HttpClient? client = null)
    {
        using var response = await (client ?? _registry).PostAsJsonAsync("/api/nno/notifications", body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task<List<EmailOutboxRecord>> OutboxAsync(string dedupeKey)
    {
        await using var scope = _platform.IamScope(out var db);
        return await db.EmailOutbox.AsNoTracking().Where(e => e.DedupeKey == dedupeKey).OrderBy(e => e.ToAddress).ToListAsync();
    }

    /// <summary>The delivered messages (dev mailbox rows) of the outbox rows with <paramref name="dedupeKey"/>, once all are delivered.</summary>
    private async Task<List<DevMailboxRecord>> DeliveredAsync(string dedupeKey)
    {
        var ids = (await OutboxAsync(dedupeKey)).Select(r => r.Id).ToList();
        await _platform.EventuallyAsync(
            async () =>
            {
                await using var scope = _platform.IamScope(out var db);
                return await db.DevMailbox.CountAsync(m => ids.Contains(m.Id)) == ids.Count;
            },
            TimeSpan.Zero);
        await using var scope = _platform.IamScope(out var db);
        return await db.DevMailbox.AsNoTracking().Where(m => ids.Contains(m.Id)).OrderBy(m => m.ToNormalized).ToListAsync();
    }

    [Fact]
    public async Task Owners_GetOneEmailEach_AndARepeatedDedupeKeyQueuesNothing()
    {
        var body = new { platformId = PlatformA, kind = "platform_suspended", audience = "owners", data = new { reason = "payment_past_due", days = 3 }, dedupeKey = "suspend-1" };

        var first = await NotifyAsync(body);
        Assert.Equal(HttpStatusCode.Accepted, first.Status);
        Assert.Equal(2, first.Body.GetProperty("queued").GetInt32());
        var rows = await OutboxAsync("suspend-1");
        Assert.Equal(["Owner1@Example.com", "owner2@example.com"], rows.Select(r => r.ToAddress));
        Assert.All(rows, r => Assert.Equal(EmailTemplateNames.Notification, r.Template));

        var repeat = await NotifyAsync(body);
        Assert.Equal(HttpStatusCode.Accepted, repeat.Status);
        Assert.Equal(0, repeat.Body.GetProperty("queued").GetInt32());
        Assert.Equal(2, (await OutboxAsync("suspend-1")).Count);

        await using var scope = _platform.IamScope(out var db);
        var audit = await db.AuditEvents.AsNoTracking().Where(e => e.Type == AuditEventTypes.NotificationQueued).ToListAsync();
        var queued = Assert.Single(audit);
        Assert.Equal(PlatformA, queued.PlatformId);
        Assert.Equal("service", queued.ActorKind);
        Assert.Contains("\"queued\":2", queued.Metadata, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Admins_ReachOwnersAndAdmins_AndOperators_ReachEveryEnabledOperator()
    {
        var admins = await NotifyAsync(new { platformId = PlatformA, kind = "job_failed", audience = "admins", data = new { jobId = "job_abc123" }, dedupeKey = "job-1" });
        Assert.Equal(3, admins.Body.GetProperty("queued").GetInt32());
        Assert.Equal(["Owner1@Example.com", "admin1@example.com", "owner2@example.com"], (await OutboxAsync("job-1")).Select(r => r.ToAddress).Order(StringComparer.Ordinal));
        Assert.Contains("https://console.nno.test/platforms/plata00001/jobs/job_abc123", (await DeliveredAsync("job-1"))[0].TextBody, StringComparison.Ordinal);

        var operators = await NotifyAsync(new { platformId = PlatformA, kind = "dead_letter", audience = "operators", data = new { jobId = "job_abc123", error = "RETRIES_EXHAUSTED" }, dedupeKey = "dead-1" });
        Assert.Equal(2, operators.Body.GetProperty("queued").GetInt32());
        Assert.Equal(["op1@example.com", "op2@example.com"], (await OutboxAsync("dead-1")).Select(r => r.ToAddress));

        var withoutPlatform = await NotifyAsync(new { kind = "dead_letter", audience = "operators", data = new { }, dedupeKey = "dead-2" });
        Assert.Equal(2, withoutPlatform.Body.GetProperty("queued").GetInt32());

        var user = await NotifyAsync(new { platformId = PlatformA, kind = "ownership_transfer", audience = "user", userId = "usr_member1", data = new { }, dedupeKey = "transfer-1" });
        Assert.Equal(1, user.Body.GetProperty("queued").GetInt32());
        Assert.Equal("member1@example.com", Assert.Single(await OutboxAsync("transfer-1")).ToAddress);
    }

    [Fact]
    public async Task DataValues_AreRenderedAsText_AndTheOnlyLinkIsTheConsolePath()
    {
        var result = await NotifyAsync(new
        {
            platformId = PlatformA,
            kind = "usage_threshold",
            audience = "owners",
            data = new { metric = "<script>alert(1)</script>", note = "see https://evil.example/x", percent = 80 },
            dedupeKey = "usage-1",
        });
        Assert.Equal(2, result.Body.GetProperty("queued").GetInt32());
        var row = (await DeliveredAsync("usage-1"))[0];
        Assert.DoesNotContain("<script>", row.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", row.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("percent</strong>: 80", row.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain("https://evil.example", row.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain("https://evil.example", row.TextBody, StringComparison.Ordinal);

        // The only link of the delivered email is the console's billing page of the platform.
        using var mailbox = _platform.GatewayClient("iam", GatewayIdentity.StaticKey("0123abcd"));
        using var response = await mailbox.GetAsync("/api/dev/mailbox?to=owner1@example.com");
        using var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var message = Assert.Single(page.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal(["https://console.nno.test/platforms/plata00001/billing"], message.GetProperty("links").EnumerateArray().Select(l => l.GetString()));
    }

    [Fact]
    public async Task OnlyTheRegistry_MayQueue()
    {
        var body = new { platformId = PlatformA, kind = "platform_restored", audience = "owners", data = new { }, dedupeKey = "restore-1" };
        using var cli = _platform.ClientWithToken("iam", (await _platform.IssueServiceTokenAsync("cli")).Token);
        using var owner = _platform.GatewayClient("iam", GatewayIdentity.Session("usr_owner1", "ses_owner1", platforms: new Dictionary<string, string> { [PlatformA] = "owner" }));
        using var staticKey = _platform.GatewayClient("iam", GatewayIdentity.StaticKey("0123abcd"));

        Assert.Equal(HttpStatusCode.Forbidden, (await NotifyAsync(body, cli)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await NotifyAsync(body, owner)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await NotifyAsync(body, staticKey)).Status);
        Assert.Empty(await OutboxAsync("restore-1"));
    }

    [Fact]
    public async Task UnknownPlatformOrUser_Is404()
    {
        var platform = await NotifyAsync(new { platformId = EmptyPlatform, kind = "platform_deleted", audience = "owners", data = new { }, dedupeKey = "x-1" });
        Assert.Equal(HttpStatusCode.NotFound, platform.Status);
        Assert.Equal("platform", platform.Body.GetProperty("error").GetProperty("details").GetProperty("resource").GetString());

        var user = await NotifyAsync(new { kind = "ownership_transfer", audience = "user", userId = "usr_nobody", data = new { }, dedupeKey = "x-2" });
        Assert.Equal(HttpStatusCode.NotFound, user.Status);
        Assert.Equal("user", user.Body.GetProperty("error").GetProperty("details").GetProperty("resource").GetString());
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"platformId":"plata00001","kind":"platform_restored","audience":"owners","data":{},"dedupeKey":"b","extra":1}""", "extra" },
        { """{"platformId":"plata00001","kind":"nope","audience":"owners","data":{},"dedupeKey":"b"}""", "kind" },
        { """{"platformId":"plata00001","kind":"platform_restored","audience":"everyone","data":{},"dedupeKey":"b"}""", "audience" },
        { """{"kind":"platform_restored","audience":"owners","data":{},"dedupeKey":"b"}""", "platformId" },
        { """{"platformId":"PLATA00001","kind":"platform_restored","audience":"owners","data":{},"dedupeKey":"b"}""", "platformId" },
        { """{"platformId":"plata00001","kind":"platform_restored","audience":"user","data":{},"dedupeKey":"b"}""", "userId" },
        { """{"platformId":"plata00001","kind":"platform_restored","audience":"owners","data":{"nested":{"a":1}},"dedupeKey":"b"}""", "data.nested" },
        { """{"platformId":"plata00001","kind":"platform_restored","audience":"owners","data":{"list":[1]},"dedupeKey":"b"}""", "data.list" },
        { """{"platformId":"plata00001","kind":"platform_restored","audience":"owners","data":{"big":"BIG"},"dedupeKey":"b"}""", "data" },
        { """{"platformId":"plata00001","kind":"platform_restored","audience":"owners","data":{},"dedupeKey":""}""", "dedupeKey" },
        { """{"platformId":"plata00001","kind":"platform_restored","audience":"owners","data":{},"dedupeKey":"LONG"}""", "dedupeKey" },
        { """{"platformId":"plata00001","kind":"platform_restored","audience":"owners","data":{}}""", "dedupeKey" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task BadInput_Is400_NamingTheField_AndQueuesNothing(string body, string field)
    {
        body = body.Replace("\"BIG\"", JsonSerializer.Serialize(new string('x', 2100)), StringComparison.Ordinal)
            .Replace("\"LONG\"", JsonSerializer.Serialize(new string('k', 201)), StringComparison.Ordinal);
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await _registry.PostAsync("/api/nno/notifications", content);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        using var document = JsonDocument.Parse(text);
        Assert.True(document.RootElement.GetProperty("error").GetProperty("details").GetProperty("fields").TryGetProperty(field, out _), text);
        await using var scope = _platform.IamScope(out var db);
        Assert.False(await db.EmailOutbox.AnyAsync(e => e.DedupeKey == "b"));
    }
}
