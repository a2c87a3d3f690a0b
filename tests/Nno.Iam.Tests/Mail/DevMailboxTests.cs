using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Client.Identity;
using Nno.Iam.Mail;
using Nno.Testing;
using Nno.Testing.Security;

namespace Nno.Iam.Tests.Mail;

/// <summary>iam.md §3.7: the dev mailbox the <c>mailbox</c> provider fills, for operators and the static key.</summary>
public sealed class DevMailboxTests : IAsyncLifetime
{
    private TestPlatform _platform = null!;

    public async Task InitializeAsync() =>
        _platform = await TestPlatform.StartAsync(["iam"], new Dictionary<string, string?> { ["Iam:Passwords:Iterations"] = "1000" });

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    private HttpClient StaticKey() => _platform.GatewayClient("iam", GatewayIdentity.StaticKey("0123abcd"));

    private static async Task<JsonDocument> GetAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body);
    }

    private async Task DeliveredAsync(params string[] ids) =>
        await _platform.EventuallyAsync(
            async () =>
            {
                await using var scope = _platform.IamScope(out var db);
                return await db.DevMailbox.CountAsync(m => ids.Contains(m.Id)) == ids.Length;
            },
            TimeSpan.Zero);

    [Fact]
    public async Task List_ShowsDeliveredEmailsNewestFirst_WithTheLinksOfTheTextBody()
    {
        var first = await _platform.QueueEmailAsync("Alice@Example.COM", EmailTemplates.MagicLink("http://localhost:5174/auth/magic-link?token=first"));
        await DeliveredAsync(first);
        _platform.Time.Advance(TimeSpan.FromSeconds(1));
        var second = await _platform.QueueEmailAsync("bob@example.com", EmailTemplates.VerifyEmail("http://localhost:5174/auth/magic-link?token=second&returnUrl=/x"));
        await DeliveredAsync(second);

        using var client = StaticKey();
        using var page = await GetAsync(client, "/api/dev/mailbox");
        var items = page.RootElement.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal([second, first], items.Select(i => i.GetProperty("id").GetString()));
        var newest = items[0];
        Assert.Equal(["id", "to", "subject", "text", "html", "links", "createdAt"], newest.EnumerateObject().Select(p => p.Name));
        Assert.Equal("bob@example.com", newest.GetProperty("to").GetString());
        Assert.Equal("Confirm your email address for NNO", newest.GetProperty("subject").GetString());
        Assert.Equal(["http://localhost:5174/auth/magic-link?token=second&returnUrl=/x"], newest.GetProperty("links").EnumerateArray().Select(l => l.GetString()));
        Assert.Contains("&amp;returnUrl", newest.GetProperty("html").GetString(), StringComparison.Ordinal);
        Assert.Equal("2026-01-01T00:00:01.000Z", newest.GetProperty("createdAt").GetString());
        Assert.Equal("alice@example.com", items[1].GetProperty("to").GetString());
        Assert.False(page.RootElement.GetProperty("pagination").GetProperty("hasMore").GetBoolean());

        // The outbox row of a delivered email keeps no content.
        Assert.Null((await _platform.OutboxRowAsync(first)).TextBody);
    }

    [Fact]
    public async Task List_FiltersByNormalizedAddress_AndPagesWithACursor()
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await _platform.QueueEmailAsync(i % 2 == 0 ? "pager@example.com" : "other@example.com"));
        }

        await DeliveredAsync([.. ids]);
        using var client = StaticKey();
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            using var page = await GetAsync(client, "/api/dev/mailbox?to=%20PAGER@example.com&limit=2&includeTotal=true" + (cursor is null ? string.Empty : "&cursor=" + cursor));
            seen.AddRange(page.RootElement.GetProperty("data").EnumerateArray().Select(i => i.GetProperty("id").GetString()!));
            Assert.Equal(3, page.RootElement.GetProperty("pagination").GetProperty("total").GetInt32());
            cursor = page.RootElement.GetProperty("pagination").GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(3, seen.Count);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.All(seen, id => Assert.Contains(id, new[] { ids[0], ids[2], ids[4] }));

        // A cursor is bound to its filter, and tampering shows.
        using var firstPage = await GetAsync(client, "/api/dev/mailbox?to=pager@example.com&limit=1");
        var next = firstPage.RootElement.GetProperty("pagination").GetProperty("nextCursor").GetString()!;
        using var otherFilter = await client.GetAsync("/api/dev/mailbox?to=other@example.com&cursor=" + next);
        Assert.Equal(HttpStatusCode.BadRequest, otherFilter.StatusCode);
        using var badAddress = await client.GetAsync("/api/dev/mailbox?to=not-an-address");
        Assert.Equal(HttpStatusCode.BadRequest, badAddress.StatusCode);
        Assert.Contains("\"to\"", await badAddress.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_EmptiesTheMailbox()
    {
        var id = await _platform.QueueEmailAsync("del@example.com");
        await DeliveredAsync(id);
        using var client = StaticKey();

        using var deleted = await client.DeleteAsync("/api/dev/mailbox");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var page = await GetAsync(client, "/api/dev/mailbox");
        Assert.Empty(page.RootElement.GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task Mailbox_IsForOperatorsOnly()
    {
        using var user = _platform.GatewayClient("iam", GatewayIdentity.Session("usr_plainuser000000000000", "ses_plainuser000000000000"));
        using var operatorSession = _platform.GatewayClient("iam", GatewayIdentity.Session("usr_operator0000000000000", "ses_operator0000000000000", role: "platform-admin"));
        using var anonymous = _platform.GatewayClient("iam", GatewayIdentity.Anonymous());

        using var forbidden = await user.GetAsync("/api/dev/mailbox");
        using var forbiddenDelete = await user.DeleteAsync("/api/dev/mailbox");
        using var unauthenticated = await anonymous.GetAsync("/api/dev/mailbox");
        using var allowed = await operatorSession.GetAsync("/api/dev/mailbox");

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbiddenDelete.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public void Links_AreTheHttpUrlsOfTheText_WithoutTrailingPunctuation()
    {
        var links = DevMailboxApi.Links("Go to https://a.example/x?y=1. Or (http://b.example/p), not ftp://c.example; again https://a.example/x?y=1\n");
        Assert.Equal(["https://a.example/x?y=1", "http://b.example/p"], links);
    }
}

/// <summary>The dev mailbox does not exist with a delivering provider, and the mailbox provider cannot run in stg/prod.</summary>
public sealed class DevMailboxProviderTests
{
    [Fact]
    public async Task Mailbox_WithAnotherProvider_Is404()
    {
        await using var resend = await FakeResendServer.StartAsync();
        await using var platform = await TestPlatform.StartAsync(["iam"], new Dictionary<string, string?>
        {
            ["Iam:Email:Provider"] = "resend",
            ["Iam:Email:From"] = "no-reply@nno.test",
            ["Iam:Email:Resend:BaseUrl"] = resend.BaseUrl,
            ["RESEND_API_KEY"] = "re_test",
        });
        using var client = platform.GatewayClient("iam", GatewayIdentity.StaticKey("0123abcd"));

        using var list = await client.GetAsync("/api/dev/mailbox");
        using var delete = await client.DeleteAsync("/api/dev/mailbox");

        Assert.Equal(HttpStatusCode.NotFound, list.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        using var body = JsonDocument.Parse(await list.Content.ReadAsStringAsync());
        Assert.Equal("mailbox", body.RootElement.GetProperty("error").GetProperty("details").GetProperty("resource").GetString());
    }

    [Theory]
    [InlineData("stg", "mailbox", "refused in stg")]
    [InlineData("prod", "mailbox", "refused in prod")]
    [InlineData("local", "resend", "RESEND_API_KEY")]
    [InlineData("local", "smtp", "Iam:Email:Smtp:Host")]
    [InlineData("local", "carrier-pigeon", "must be mailbox, resend or smtp")]
    public async Task Start_WithSettingsThatCannotDeliver_IsRefused(string environment, string provider, string reason)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestPlatform.StartAsync(["iam"], new Dictionary<string, string?>
        {
            ["Nno:Environment"] = environment,
            ["Iam:Email:Provider"] = provider,
        }));
        Assert.Contains(reason, error.ToString(), StringComparison.Ordinal);
    }
}
