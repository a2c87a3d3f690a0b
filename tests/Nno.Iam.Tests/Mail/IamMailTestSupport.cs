using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Iam.Data;
using Nno.Iam.Mail;
using Nno.Testing;

namespace Nno.Iam.Tests.Mail;

/// <summary>Reach into a test platform's IAM: its database, its outbox, and a way to wait for background work.</summary>
internal static class IamMailTestSupport
{
    public static AsyncServiceScope IamScope(this TestPlatform platform, out IamDbContext db)
    {
        var scope = platform.Host.Apps["iam"].Services.CreateAsyncScope();
        db = scope.ServiceProvider.GetRequiredService<IamDbContext>();
        return scope;
    }

    public static T IamService<T>(this TestPlatform platform)
        where T : notnull => platform.Host.Apps["iam"].Services.GetRequiredService<T>();

    /// <summary>Queues an email exactly as IAM's features do (EmailOutbox.Add + SaveChanges) and returns its outbox id.</summary>
    public static async Task<string> QueueEmailAsync(this TestPlatform platform, string to, EmailMessage? message = null, string? dedupeKey = null)
    {
        await using var scope = platform.IamScope(out var db);
        var record = scope.ServiceProvider.GetRequiredService<EmailOutbox>().Add(to, message ?? EmailTemplates.MagicLink("http://localhost:5174/auth/magic-link?token=abc"), dedupeKey);
        await db.SaveChangesAsync();
        return record.Id;
    }

    public static async Task<EmailOutboxRecord> OutboxRowAsync(this TestPlatform platform, string id)
    {
        await using var scope = platform.IamScope(out var db);
        return await db.EmailOutbox.AsNoTracking().SingleAsync(e => e.Id == id);
    }

    public static async Task<string> OutboxStatusAsync(this TestPlatform platform, string id) => (await platform.OutboxRowAsync(id)).Status;

    /// <summary>
    /// Waits until <paramref name="condition"/> holds, moving the fake clock by <paramref name="step"/> between checks
    /// (zero: never moves it) and giving background work a moment of real time after each move.
    /// </summary>
    public static async Task EventuallyAsync(this TestPlatform platform, Func<Task<bool>> condition, TimeSpan step, int maxSteps = 500)
    {
        for (var i = 0; i < maxSteps; i++)
        {
            if (await condition())
            {
                return;
            }

            if (step > TimeSpan.Zero)
            {
                platform.Time.Advance(step);
            }

            await Task.Delay(20);
        }

        Assert.Fail($"The condition did not hold after {maxSteps} steps of {step}.");
    }
}
