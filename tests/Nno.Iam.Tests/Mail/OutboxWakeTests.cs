using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Iam.Mail;
using Nno.Testing;

namespace Nno.Iam.Tests.Mail;

/// <summary>iam.md §4.10: the dispatcher is woken once queued email is committed, also when its cause ran in an explicit transaction.</summary>
public sealed class OutboxWakeTests
{
    [Fact]
    public async Task EmailQueuedInsideATransaction_IsDeliveredAfterTheCommit_WithoutWaitingForThePollTimer()
    {
        await using var platform = await TestPlatform.StartAsync(["iam"], new Dictionary<string, string?> { ["Iam:Passwords:Iterations"] = "1000" });
        string id;
        await using (var scope = platform.IamScope(out var db))
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            id = scope.ServiceProvider.GetRequiredService<EmailOutbox>().Add("tx@example.com", EmailTemplates.MagicLink("http://localhost:5174/auth/magic-link?token=tx")).Id;
            await db.SaveChangesAsync();

            // The save is not the commit: a dispatcher woken now finds nothing (its connection cannot see the row yet).
            await Task.Delay(150);
            await using (platform.IamScope(out var other))
            {
                Assert.False(await other.EmailOutbox.AnyAsync(e => e.Id == id));
            }

            await transaction.CommitAsync();
        }

        // The fake clock never reaches the 5 s poll: only a wake-up after the commit delivers it.
        await platform.EventuallyAsync(async () => await platform.OutboxStatusAsync(id) == OutboxStatuses.Sent, TimeSpan.Zero, maxSteps: 150);
    }
}
