using Microsoft.EntityFrameworkCore;
using Nno.Iam.Audit;
using Nno.Iam.Devices;
using Nno.Iam.Invitations;
using Nno.Iam.Jobs;
using Nno.Iam.Mail;
using Nno.Iam.Sessions;
using Nno.Iam.Tests.Mail;
using Nno.Iam.Users;
using Nno.Iam.Verifications;
using Nno.ServiceDefaults.Jobs;
using Nno.Testing;

namespace Nno.Iam.Tests.Jobs;

/// <summary>iam.md §4.14: IAM's cleanup jobs, each on its lease, driven by the fake clock (batches of 100 here, to cross a batch boundary).</summary>
public sealed class CleanupJobsTests : IAsyncLifetime
{
    private const string UserId = "usr_jobs0000000000000000";
    private TestPlatform _platform = null!;

    public async Task InitializeAsync()
    {
        _platform = await TestPlatform.StartAsync(["iam"], new Dictionary<string, string?>
        {
            ["Iam:Passwords:Iterations"] = "1000",
            ["Iam:Jobs:BatchSize"] = "100",
        });
        await using var scope = _platform.IamScope(out var db);
        db.Users.Add(new UserRecord { Id = UserId, Email = "jobs@example.com", EmailNormalized = "jobs@example.com", Name = "Jobs" });
        await db.SaveChangesAsync();
    }

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    private long At(TimeSpan fromNow) => _platform.Time.GetUtcNow().Add(fromNow).ToUnixTimeMilliseconds();

    /// <summary>Moves the clock by <paramref name="interval"/> and waits for <paramref name="job"/>'s pass.</summary>
    private async Task RunAsync(string job, TimeSpan interval)
    {
        var log = _platform.IamService<JobRunLog>();
        var before = log.Passes(job);
        _platform.Time.Advance(interval);
        var run = await log.WaitForPassAsync(job, before).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobRunOutcome.Completed, run.Outcome);
    }

    [Fact]
    public async Task Start_SchedulesEveryJobOnItsLease()
    {
        var start = _platform.Time.GetUtcNow();
        await using var scope = _platform.IamScope(out var db);
        var leases = await db.Set<JobLeaseRecord>().AsNoTracking().ToDictionaryAsync(l => l.Name, l => l.LeasedUntil);

        Assert.Equal(start.AddHours(1).ToUnixTimeMilliseconds(), leases[IamJobNames.SessionCleanup]);
        Assert.Equal(start.AddMinutes(15).ToUnixTimeMilliseconds(), leases[IamJobNames.VerificationCleanup]);
        Assert.Equal(start.AddDays(1).ToUnixTimeMilliseconds(), leases[IamJobNames.AuditRetention]);
        Assert.Equal(start.AddHours(1).ToUnixTimeMilliseconds(), leases[IamJobNames.DevMailboxCleanup]);
    }

    [Fact]
    public async Task SessionCleanup_DeletesSessionsExpiredOrRevokedMoreThan30DaysAgo()
    {
        var hour = TimeSpan.FromHours(1);
        await using (var scope = _platform.IamScope(out var db))
        {
            for (var i = 0; i < 150; i++)
            {
                db.Sessions.Add(Session($"ses_oldexpired{i:D4}", expiresAt: At(hour - TimeSpan.FromDays(31))));
            }

            db.Sessions.Add(Session("ses_recentexpired", expiresAt: At(hour - TimeSpan.FromDays(29))));
            db.Sessions.Add(Session("ses_oldrevoked", expiresAt: At(TimeSpan.FromDays(10)), revokedAt: At(hour - TimeSpan.FromDays(31))));
            db.Sessions.Add(Session("ses_recentrevoked", expiresAt: At(TimeSpan.FromDays(10)), revokedAt: At(hour - TimeSpan.FromDays(29))));
            db.Sessions.Add(Session("ses_active", expiresAt: At(TimeSpan.FromDays(10))));
            await db.SaveChangesAsync();
        }

        await RunAsync(IamJobNames.SessionCleanup, hour);

        await using (var scope = _platform.IamScope(out var db))
        {
            Assert.Equal(["ses_active", "ses_recentexpired", "ses_recentrevoked"], await db.Sessions.Select(s => s.Id).OrderBy(s => s).ToListAsync());
        }
    }

    [Fact]
    public async Task VerificationCleanup_DeletesRowsADayPastExpiry_AndExpiresPendingInvitations()
    {
        var period = TimeSpan.FromMinutes(15);
        await using (var scope = _platform.IamScope(out var db))
        {
            for (var i = 0; i < 120; i++)
            {
                db.Verifications.Add(Verification($"ver_old{i:D4}", At(period - TimeSpan.FromHours(25))));
            }

            db.Verifications.Add(Verification("ver_recent", At(period - TimeSpan.FromHours(23))));
            db.DeviceCodes.Add(Device("dev_old", At(period - TimeSpan.FromHours(25))));
            db.DeviceCodes.Add(Device("dev_recent", At(period - TimeSpan.FromHours(23))));
            db.Invitations.Add(Invitation("inv_pastdue", "pending", At(period - TimeSpan.FromMinutes(1))));
            db.Invitations.Add(Invitation("inv_current", "pending", At(TimeSpan.FromDays(1))));
            db.Invitations.Add(Invitation("inv_accepted", "accepted", At(period - TimeSpan.FromDays(1))));
            await db.SaveChangesAsync();
        }

        await RunAsync(IamJobNames.VerificationCleanup, period);

        await using (var scope = _platform.IamScope(out var db))
        {
            Assert.Equal(["ver_recent"], await db.Verifications.Select(v => v.Id).ToListAsync());
            Assert.Equal(["dev_recent"], await db.DeviceCodes.Select(d => d.Id).ToListAsync());
            var statuses = await db.Invitations.ToDictionaryAsync(i => i.Id, i => i.Status);
            Assert.Equal("expired", statuses["inv_pastdue"]);
            Assert.Equal("pending", statuses["inv_current"]);
            Assert.Equal("accepted", statuses["inv_accepted"]);
        }
    }

    [Fact]
    public async Task AuditRetention_DeletesEventsOlderThan400Days()
    {
        var day = TimeSpan.FromDays(1);
        await using (var scope = _platform.IamScope(out var db))
        {
            for (var i = 0; i < 130; i++)
            {
                db.AuditEvents.Add(Event($"evt_old{i:D4}", At(day - TimeSpan.FromDays(401))));
            }

            db.AuditEvents.Add(Event("evt_kept", At(day - TimeSpan.FromDays(399))));
            await db.SaveChangesAsync();
        }

        await RunAsync(IamJobNames.AuditRetention, day);

        await using (var scope = _platform.IamScope(out var db))
        {
            Assert.Equal(["evt_kept"], await db.AuditEvents.Select(e => e.Id).ToListAsync());
        }
    }

    [Fact]
    public async Task DevMailboxCleanup_DeletesMessagesOlderThan24Hours()
    {
        var hour = TimeSpan.FromHours(1);
        await using (var scope = _platform.IamScope(out var db))
        {
            for (var i = 0; i < 250; i++)
            {
                db.DevMailbox.Add(Message($"eml_old{i:D4}", At(hour - TimeSpan.FromHours(25))));
            }

            db.DevMailbox.Add(Message("eml_recent", At(hour - TimeSpan.FromHours(23))));
            await db.SaveChangesAsync();
        }

        await RunAsync(IamJobNames.DevMailboxCleanup, hour);

        await using (var scope = _platform.IamScope(out var db))
        {
            Assert.Equal(["eml_recent"], await db.DevMailbox.Select(m => m.Id).ToListAsync());
        }
    }

    private static SessionRecord Session(string id, long expiresAt, long? revokedAt = null) => new()
    {
        Id = id,
        UserId = UserId,
        TokenHash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(id)),
        AuthMethod = "password",
        ExpiresAt = expiresAt,
        AbsoluteExpiresAt = Math.Max(expiresAt, revokedAt ?? 0),
        RevokedAt = revokedAt,
        RevokedReason = revokedAt is null ? null : "sign-out",
    };

    private static VerificationRecord Verification(string id, long expiresAt) => new()
    {
        Id = id,
        Purpose = "magic-link",
        Identifier = "jobs@example.com",
        TokenHash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(id)),
        ExpiresAt = expiresAt,
    };

    private static DeviceCodeRecord Device(string id, long expiresAt) => new()
    {
        Id = id,
        DeviceCodeHash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(id)),
        UserCode = id[^4..].ToUpperInvariant() + "1234",
        ClientId = "nno-cli",
        Status = "expired",
        IntervalSeconds = 5,
        ExpiresAt = expiresAt,
        RequesterIp = "127.0.0.1",
        RequesterUserAgent = "nno-cli",
    };

    private static InvitationRecord Invitation(string id, string status, long expiresAt) => new()
    {
        Id = id,
        PlatformId = "platj00001",
        Email = id + "@example.com",
        EmailNormalized = id + "@example.com",
        Role = "member",
        Status = status,
        InviterId = UserId,
        ExpiresAt = expiresAt,
    };

    private static AuditEventRecord Event(string id, long occurredAt) => new()
    {
        Id = id,
        OccurredAt = occurredAt,
        Type = AuditEventTypes.AuthSignOut,
        Outcome = "success",
        ActorKind = "user",
        Metadata = "{}",
    };

    private static DevMailboxRecord Message(string id, long createdAt) => new()
    {
        Id = id,
        ToNormalized = "jobs@example.com",
        Subject = "s",
        TextBody = "t",
        HtmlBody = "h",
        CreatedAt = createdAt,
    };
}
