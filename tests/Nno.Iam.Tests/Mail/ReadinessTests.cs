using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Nno.Iam.Mail;
using Nno.ServiceDefaults.Data;
using Nno.Testing;

namespace Nno.Iam.Tests.Mail;

/// <summary>A sender that holds every email until the test opens the gate (a dispatcher stuck on a slow provider).</summary>
internal sealed class GatedSender(SendGate gate) : IEmailSender
{
    public async Task<EmailSendResult> SendAsync(OutgoingEmail email, CancellationToken cancellationToken)
    {
        await gate.Open.Task.WaitAsync(cancellationToken);
        return EmailSendResult.Sent;
    }
}

internal sealed class SendGate
{
    public TaskCompletionSource Open { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>iam.md §3.7: <c>GET /health/ready</c> reports database, signing key and outbox; only the first two can fail it.</summary>
public sealed class ReadinessTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Checks)> ReadyAsync(TestPlatform platform)
    {
        using var client = platform.Client("iam");
        using var response = await client.GetAsync("/health/ready");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var checks = response.IsSuccessStatusCode
            ? body.RootElement.GetProperty("checks")
            : body.RootElement.GetProperty("error").GetProperty("details").GetProperty("checks");
        return (response.StatusCode, checks.Clone());
    }

    [Fact]
    public async Task Ready_ReportsDatabaseSigningKeyAndOutbox()
    {
        await using var platform = await TestPlatform.StartAsync(["iam"]);
        var (status, checks) = await ReadyAsync(platform);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(
            ["database:ok", "emailOutbox:ok", "signingKey:ok"],
            checks.EnumerateObject().Select(c => c.Name + ":" + c.Value.GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task OutboxBacklog_IsReported_ButStaysReady()
    {
        var gate = new SendGate();
        await using var platform = await TestPlatform.StartAsync(["iam"], configureBuilder: (name, builder) =>
        {
            builder.Services.AddSingleton(gate);
            builder.Services.AddTransient<IEmailSender, GatedSender>();
        });

        // The dispatcher is stuck on the first email; the second has been due for six minutes. (Up to 30 s of real time
        // for the dispatcher to claim the first: a loaded CI machine runs several test assemblies at once.)
        var stuck = await platform.QueueEmailAsync("stuck@example.com");
        await platform.EventuallyAsync(async () => await platform.OutboxStatusAsync(stuck) == OutboxStatuses.Sending, TimeSpan.Zero, maxSteps: 1500);
        platform.Time.Advance(TimeSpan.FromMinutes(6));
        var late = await platform.QueueEmailAsync("late@example.com");
        await using (var scope = platform.IamScope(out var db))
        {
            var row = await db.EmailOutbox.FindAsync(late);
            row!.NextAttemptAt = platform.Time.GetUtcNow().AddMinutes(-6).ToUnixTimeMilliseconds();
            await db.SaveChangesAsync();
        }

        var (status, checks) = await ReadyAsync(platform);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("backlog", checks.GetProperty("emailOutbox").GetString());
        Assert.Equal("ok", checks.GetProperty("database").GetString());

        gate.Open.SetResult();
        await platform.EventuallyAsync(async () => await platform.OutboxStatusAsync(late) == OutboxStatuses.Sent, TimeSpan.FromSeconds(5));
        Assert.Equal("ok", (await ReadyAsync(platform)).Checks.GetProperty("emailOutbox").GetString());
    }

    [Fact]
    public async Task DatabaseGone_Is503_WithTheChecks()
    {
        await using var platform = await TestPlatform.StartAsync(["iam"]);
        var file = NnoDatabase.FilePath(platform.DataDir, "iam");

        // Replace the database file by a directory: nothing can open it any more.
        SqliteConnection.ClearAllPools();
        foreach (var path in new[] { file, file + "-wal", file + "-shm" })
        {
            File.Delete(path);
        }

        Directory.CreateDirectory(file);
        var (status, checks) = await ReadyAsync(platform);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        // A database that cannot be opened fails its check, or (on a loaded machine) makes the checks overrun their
        // time budget, which names every check as "timeout"; either way the service is not ready.
        var database = checks.GetProperty("database").GetString();
        Assert.Contains(database, new[] { "failing", "timeout" });
        Assert.Equal(database == "timeout" ? "timeout" : "ok", checks.GetProperty("signingKey").GetString());
        // emailOutbox is not asserted: a background job may have reopened the deleted file through a pooled connection
        // between ClearAllPools and the delete, and then reads it fine (seen once in CI); the database check is what
        // makes the answer 503.
        Assert.True(checks.TryGetProperty("emailOutbox", out _));
        Directory.Delete(file);
    }
}
