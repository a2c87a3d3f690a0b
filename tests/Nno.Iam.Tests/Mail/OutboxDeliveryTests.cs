using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Iam.Mail;
using Nno.Testing;

namespace Nno.Iam.Tests.Mail;

/// <summary>iam.md §7 test 30 and §4.10: the outbox delivers through the Resend and SMTP providers with retries, once.</summary>
public sealed class OutboxDeliveryTests
{
    private const string ApiKey = "re_test_0123456789";
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(5);

    private static Task<TestPlatform> StartWithResendAsync(FakeResendServer resend, IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Iam:Email:Provider"] = "resend",
            ["Iam:Email:From"] = "NNO <no-reply@nno.test>",
            ["Iam:Email:Resend:BaseUrl"] = resend.BaseUrl,
            ["RESEND_API_KEY"] = ApiKey,
            ["Iam:Passwords:Iterations"] = "1000",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return TestPlatform.StartAsync(["iam"], settings);
    }

    private static Task<TestPlatform> StartWithSmtpAsync(SmtpTestServer smtp) => TestPlatform.StartAsync(["iam"], new Dictionary<string, string?>
    {
        ["Iam:Email:Provider"] = "smtp",
        ["Iam:Email:From"] = "NNO <no-reply@nno.test>",
        ["Iam:Email:Smtp:Host"] = "127.0.0.1",
        ["Iam:Email:Smtp:Port"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Iam:Email:Smtp:UseStartTls"] = "false",
        ["Iam:Passwords:Iterations"] = "1000",
    });

    [Fact]
    public async Task Resend_FailingTwice_DeliversOnTheThirdAttempt_ExactlyOnce_WithTheOutboxIdAsIdempotencyKey()
    {
        await using var resend = await FakeResendServer.StartAsync();
        resend.Script.Enqueue((500, null));
        resend.Script.Enqueue((503, null));
        await using var platform = await StartWithResendAsync(resend);
        var queuedAt = platform.Time.GetUtcNow().ToUnixTimeMilliseconds();

        var id = await platform.QueueEmailAsync("Alice@Example.com", EmailTemplates.VerifyEmail("http://localhost:5174/auth/magic-link?token=t1"));

        // The commit wakes the dispatcher: the first attempt needs no clock movement, and its retry waits 30 s.
        await platform.EventuallyAsync(async () => (await platform.OutboxRowAsync(id)).Attempts == 1, TimeSpan.Zero);
        var afterFirst = await platform.OutboxRowAsync(id);
        Assert.Equal(OutboxStatuses.Pending, afterFirst.Status);
        Assert.Equal(queuedAt + 30_000, afterFirst.NextAttemptAt);
        Assert.Contains("500", afterFirst.LastError, StringComparison.Ordinal);

        await platform.EventuallyAsync(async () => await platform.OutboxStatusAsync(id) == OutboxStatuses.Sent, Poll);

        var row = await platform.OutboxRowAsync(id);
        Assert.Equal(3, row.Attempts);
        Assert.NotNull(row.SentAt);
        Assert.Null(row.Subject);
        Assert.Null(row.TextBody);
        Assert.Null(row.HtmlBody);
        Assert.Null(row.LastError);

        // Later polls find nothing to send: the provider saw exactly three requests, all with the same key.
        platform.Time.Advance(TimeSpan.FromHours(2));
        await platform.EventuallyAsync(() => Task.FromResult(true), Poll, maxSteps: 10);
        var requests = resend.Requests.ToList();
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r =>
        {
            Assert.Equal("/emails", r.Path);
            Assert.Equal(id, r.IdempotencyKey);
            Assert.Equal("Bearer " + ApiKey, r.Authorization);
            Assert.StartsWith("application/json", r.ContentType, StringComparison.Ordinal);
        });
        using var body = JsonDocument.Parse(requests[2].Body);
        Assert.Equal(["from", "to", "subject", "html", "text"], body.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("NNO <no-reply@nno.test>", body.RootElement.GetProperty("from").GetString());
        Assert.Equal(["Alice@Example.com"], body.RootElement.GetProperty("to").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("Confirm your email address for NNO", body.RootElement.GetProperty("subject").GetString());
        Assert.Contains("token=t1", body.RootElement.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Contains("<a href=", body.RootElement.GetProperty("html").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resend_ClientError_FailsAtOnce_WithoutRetry_AndClearsTheBodies()
    {
        await using var resend = await FakeResendServer.StartAsync();
        resend.Script.Enqueue((422, null));
        await using var platform = await StartWithResendAsync(resend);

        var id = await platform.QueueEmailAsync("bob@example.com");
        await platform.EventuallyAsync(async () => await platform.OutboxStatusAsync(id) == OutboxStatuses.Failed, TimeSpan.Zero);

        var row = await platform.OutboxRowAsync(id);
        Assert.Equal(1, row.Attempts);
        Assert.Equal("resend: HTTP 422 validation_error", row.LastError);
        Assert.Null(row.TextBody);
        Assert.Null(row.HtmlBody);
        platform.Time.Advance(TimeSpan.FromHours(2));
        await platform.EventuallyAsync(() => Task.FromResult(true), Poll, maxSteps: 10);
        Assert.Single(resend.Requests);
    }

    [Fact]
    public async Task Resend_TooManyRequests_RetriesAfterTheProvidersRetryAfter()
    {
        await using var resend = await FakeResendServer.StartAsync();
        resend.Script.Enqueue((429, "120"));
        await using var platform = await StartWithResendAsync(resend);
        var queuedAt = platform.Time.GetUtcNow().ToUnixTimeMilliseconds();

        var id = await platform.QueueEmailAsync("carol@example.com");
        await platform.EventuallyAsync(async () => (await platform.OutboxRowAsync(id)).Attempts == 1, TimeSpan.Zero);
        Assert.Equal(queuedAt + 120_000, (await platform.OutboxRowAsync(id)).NextAttemptAt);

        await platform.EventuallyAsync(async () => await platform.OutboxStatusAsync(id) == OutboxStatuses.Sent, Poll);
        Assert.Equal(2, resend.Requests.Count);
    }

    [Fact]
    public async Task Resend_AlwaysFailing_GivesUpAfterEightAttempts_WithAnErrorLog()
    {
        await using var resend = await FakeResendServer.StartAsync();
        for (var i = 0; i < 20; i++)
        {
            resend.Script.Enqueue((500, null));
        }

        var logs = new Nno.Testing.Logging.CapturingLoggerProvider();
        await using var platform = await TestPlatform.StartAsync(["iam"], new Dictionary<string, string?>
        {
            ["Iam:Email:Provider"] = "resend",
            ["Iam:Email:From"] = "no-reply@nno.test",
            ["Iam:Email:Resend:BaseUrl"] = resend.BaseUrl,
            ["RESEND_API_KEY"] = ApiKey,
        }, configureBuilder: (_, builder) => logs.AddTo(builder));

        var id = await platform.QueueEmailAsync("dave@example.com");
        await platform.EventuallyAsync(async () => await platform.OutboxStatusAsync(id) == OutboxStatuses.Failed, TimeSpan.FromMinutes(2), maxSteps: 2000);

        var row = await platform.OutboxRowAsync(id);
        Assert.Equal(8, row.Attempts);
        Assert.Equal(8, resend.Requests.Count);
        Assert.Contains(logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains(id, StringComparison.Ordinal) && l.Contains("after 8 attempt", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Contains(ApiKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Smtp_DeliversToALocalSmtpListener()
    {
        await using var smtp = new SmtpTestServer();
        await using var platform = await StartWithSmtpAsync(smtp);

        var id = await platform.QueueEmailAsync("erin@example.com", EmailTemplates.MagicLink("http://localhost:5174/auth/magic-link?token=smtp1"));
        await platform.EventuallyAsync(async () => await platform.OutboxStatusAsync(id) == OutboxStatuses.Sent, TimeSpan.Zero);

        var message = Assert.Single(smtp.Messages);
        Assert.Equal("no-reply@nno.test", message.MailFrom);
        Assert.Equal(["erin@example.com"], message.Recipients);
        Assert.Contains("Subject: Your NNO sign-in link", message.Data, StringComparison.Ordinal);
        Assert.Contains($"Message-Id: <{id}@nno.test>", message.Data, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("multipart/alternative", message.Data, StringComparison.Ordinal);
        Assert.Contains("token=smtp1", message.Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Smtp_TransientReplyIsRetried_PermanentReplyFailsAtOnce()
    {
        await using var smtp = new SmtpTestServer();
        smtp.MailFromReplies.Enqueue("451 4.3.0 Try again later");
        smtp.RejectedRecipients["nobody@example.com"] = true;
        await using var platform = await StartWithSmtpAsync(smtp);

        var retried = await platform.QueueEmailAsync("frank@example.com");
        await platform.EventuallyAsync(async () => (await platform.OutboxRowAsync(retried)).Attempts == 1, TimeSpan.Zero);
        Assert.Equal(OutboxStatuses.Pending, await platform.OutboxStatusAsync(retried));
        Assert.StartsWith("smtp: 451", (await platform.OutboxRowAsync(retried)).LastError, StringComparison.Ordinal);
        await platform.EventuallyAsync(async () => await platform.OutboxStatusAsync(retried) == OutboxStatuses.Sent, Poll);
        Assert.Equal(2, (await platform.OutboxRowAsync(retried)).Attempts);

        var rejected = await platform.QueueEmailAsync("nobody@example.com");
        await platform.EventuallyAsync(async () => await platform.OutboxStatusAsync(rejected) == OutboxStatuses.Failed, TimeSpan.Zero);
        var row = await platform.OutboxRowAsync(rejected);
        Assert.Equal(1, row.Attempts);
        Assert.StartsWith("smtp: 550", row.LastError, StringComparison.Ordinal);
        Assert.Single(smtp.Messages);
    }

    [Fact]
    public async Task Smtp_ListenerDown_IsRetried()
    {
        int port;
        await using (var closed = new SmtpTestServer())
        {
            port = closed.Port;
        }

        await using var platform = await TestPlatform.StartAsync(["iam"], new Dictionary<string, string?>
        {
            ["Iam:Email:Provider"] = "smtp",
            ["Iam:Email:From"] = "no-reply@nno.test",
            ["Iam:Email:Smtp:Host"] = "127.0.0.1",
            ["Iam:Email:Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Iam:Email:Smtp:UseStartTls"] = "false",
        });
        var id = await platform.QueueEmailAsync("gina@example.com");
        await platform.EventuallyAsync(async () => (await platform.OutboxRowAsync(id)).Attempts == 1, TimeSpan.Zero);
        var row = await platform.OutboxRowAsync(id);
        Assert.Equal(OutboxStatuses.Pending, row.Status);
        Assert.StartsWith("smtp: ", row.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispatcher_ReclaimsStaleClaims_ButLeavesLiveOnesAlone()
    {
        await using var platform = await TestPlatform.StartAsync(["iam"]);
        var now = platform.Time.GetUtcNow().ToUnixTimeMilliseconds();
        await using (var scope = platform.IamScope(out var db))
        {
            db.EmailOutbox.Add(Row("eml_stale0000000000000000", OutboxStatuses.Sending, claimedUntil: now - 1));
            db.EmailOutbox.Add(Row("eml_live00000000000000000", OutboxStatuses.Sending, claimedUntil: now + 60_000));
            await db.SaveChangesAsync();
        }

        await platform.EventuallyAsync(async () => await platform.OutboxStatusAsync("eml_stale0000000000000000") == OutboxStatuses.Sent, Poll);
        Assert.Equal(OutboxStatuses.Sending, await platform.OutboxStatusAsync("eml_live00000000000000000"));

        // Once the live claim is stale too (its holder died), it is delivered.
        await platform.EventuallyAsync(async () => await platform.OutboxStatusAsync("eml_live00000000000000000") == OutboxStatuses.Sent, Poll);
        Assert.True(platform.Time.GetUtcNow().ToUnixTimeMilliseconds() >= now + 60_000);
    }

    [Fact]
    public async Task Dispatcher_PurgesSentRowsAfterSevenDays()
    {
        await using var platform = await TestPlatform.StartAsync(["iam"]);
        var now = platform.Time.GetUtcNow().ToUnixTimeMilliseconds();
        await using (var scope = platform.IamScope(out var db))
        {
            var old = Row("eml_old000000000000000000", OutboxStatuses.Sent);
            old.SentAt = now - (long)TimeSpan.FromDays(7).TotalMilliseconds + 1000;
            var recent = Row("eml_recent00000000000000", OutboxStatuses.Sent);
            recent.SentAt = now - (long)TimeSpan.FromDays(6).TotalMilliseconds;
            db.EmailOutbox.AddRange(old, recent);
            await db.SaveChangesAsync();
        }

        // The purge runs hourly; after one more hour the first row is past 7 days, the second is not.
        await platform.EventuallyAsync(
            async () =>
            {
                await using var scope = platform.IamScope(out var db);
                return !await db.EmailOutbox.AnyAsync(e => e.Id == "eml_old000000000000000000");
            },
            TimeSpan.FromMinutes(5));
        await using (var scope = platform.IamScope(out var db))
        {
            Assert.True(await db.EmailOutbox.AnyAsync(e => e.Id == "eml_recent00000000000000"));
        }
    }

    private static EmailOutboxRecord Row(string id, string status, long? claimedUntil = null) => new()
    {
        Id = id,
        ToAddress = id + "@example.com",
        Template = EmailTemplateNames.MagicLink,
        Subject = status == OutboxStatuses.Sent ? null : "s",
        TextBody = status == OutboxStatuses.Sent ? null : "t",
        HtmlBody = status == OutboxStatuses.Sent ? null : "h",
        Status = status,
        ClaimedUntil = claimedUntil,
        NextAttemptAt = 0,
        CreatedAt = 0,
    };
}
