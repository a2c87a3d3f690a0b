using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Nno.Storage.Sqlite;

namespace Nno.Storage.Tests;

public sealed class QueueStoreTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed record ProvisionMessage(string JobId, int RunNumber, string Phase);

    [Fact]
    public async Task SendJson_Receive_DeliversBodyAttemptsAndTimestamp_AckDeletes()
    {
        var clock = Stores.Clock();
        using var store = Stores.Queues(_dir.Path, clock);
        var producer = store.GetProducer(QueueNames.Provision);
        var body = new ProvisionMessage("job_abc", 1, "forward");

        var id = await producer.SendJsonAsync(body);
        clock.Advance(TimeSpan.FromSeconds(1));
        var batch = await store.GetConsumer(QueueNames.Provision, Stores.Immediate()).ReceiveAvailableAsync();

        var message = Assert.Single(batch.Messages);
        Assert.Equal(id, message.Id);
        Assert.Matches("^[0-9a-f]{32}$", message.Id);
        Assert.Equal(body, message.BodyAsJson<ProvisionMessage>());
        Assert.Equal(QueueContentType.Json, message.ContentType);
        Assert.Equal("""{"jobId":"job_abc","runNumber":1,"phase":"forward"}""", message.BodyAsString());
        Assert.Equal(1, message.Attempts);
        Assert.Equal(Stores.Start, message.Timestamp);
        Assert.Null(message.DeadLetter);
        Assert.Equal(new QueueStats(QueueNames.Provision, 0, 1, 0), await store.GetStatsAsync(QueueNames.Provision));

        Assert.True(await message.AckAsync());

        Assert.Equal(QueueMessageOutcome.Acked, message.Outcome);
        Assert.Equal(0, (await store.GetStatsAsync(QueueNames.Provision)).Total);
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Empty((await store.GetConsumer(QueueNames.Provision, Stores.Immediate()).ReceiveAvailableAsync()).Messages);
    }

    [Fact]
    public async Task SendBatch_TextAndBytes_KeepContentTypesAndOrder()
    {
        using var store = Stores.Queues(_dir.Path, Stores.Clock());
        var producer = store.GetProducer("mixed");

        var ids = await producer.SendBatchAsync([QueueSendRequest.Text("hello"), QueueSendRequest.Raw(new byte[] { 1, 2, 3 }), QueueSendRequest.Json(42)]);
        var batch = await store.GetConsumer("mixed", Stores.Immediate()).ReceiveAvailableAsync();

        Assert.Equal(ids, batch.Messages.Select(m => m.Id));
        Assert.Equal([QueueContentType.Text, QueueContentType.Bytes, QueueContentType.Json], batch.Messages.Select(m => m.ContentType));
        Assert.Equal("hello", batch.Messages[0].BodyAsString());
        Assert.Equal([1, 2, 3], batch.Messages[1].Body.ToArray());
        Assert.Equal(42, batch.Messages[2].BodyAsJson<int>());
    }

    [Fact]
    public async Task Receive_RespectsMaxBatchSize()
    {
        using var store = Stores.Queues(_dir.Path, Stores.Clock());
        await store.GetProducer("q").SendBatchAsync(Enumerable.Range(0, 12).Select(i => QueueSendRequest.Json(i)));
        var consumer = store.GetConsumer("q", Stores.Immediate(maxBatchSize: 5));

        var sizes = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            var batch = await consumer.ReceiveAvailableAsync();
            sizes.Add(batch.Messages.Count);
            await batch.AckAllAsync();
        }

        Assert.Equal([5, 5, 2, 0], sizes);
    }

    [Fact]
    public async Task LeaseExpiry_ConsumerNeverSettles_MessageRedeliveredAfterVisibilityTimeoutWithNextAttempt()
    {
        var clock = Stores.Clock();
        using var store = Stores.Queues(_dir.Path, clock);
        var options = Stores.Immediate(visibility: TimeSpan.FromSeconds(30));
        await store.GetProducer("jobs").SendJsonAsync(new ProvisionMessage("job_1", 1, "forward"));

        var dead = await store.GetConsumer("jobs", options).ReceiveAvailableAsync();
        Assert.Single(dead.Messages);

        clock.Advance(TimeSpan.FromSeconds(29));
        var other = store.GetConsumer("jobs", options);
        Assert.Empty((await other.ReceiveAvailableAsync()).Messages);

        clock.Advance(TimeSpan.FromSeconds(1));
        var again = await other.ReceiveAvailableAsync();
        var message = Assert.Single(again.Messages);
        Assert.Equal(dead.Messages[0].Id, message.Id);
        Assert.Equal(2, message.Attempts);

        // The first consumer wakes up late: its lease is gone, so its ack must not delete the redelivered message.
        Assert.False(await dead.Messages[0].AckAsync());
        Assert.Equal(QueueMessageOutcome.LeaseLost, dead.Messages[0].Outcome);
        Assert.Equal(1, (await store.GetStatsAsync("jobs")).InFlight);
        Assert.True(await message.AckAsync());
        Assert.Equal(0, (await store.GetStatsAsync("jobs")).Total);
    }

    [Fact]
    public async Task ExtendLease_KeepsMessageFromRedelivery()
    {
        var clock = Stores.Clock();
        using var store = Stores.Queues(_dir.Path, clock);
        var options = Stores.Immediate(visibility: TimeSpan.FromSeconds(30));
        await store.GetProducer("jobs").SendJsonAsync(1);
        var batch = await store.GetConsumer("jobs", options).ReceiveAvailableAsync();

        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(1, await batch.ExtendLeaseAsync());
        clock.Advance(TimeSpan.FromSeconds(20));

        Assert.Empty((await store.GetConsumer("jobs", options).ReceiveAvailableAsync()).Messages);
        Assert.True(await batch.Messages[0].AckAsync());
    }

    [Fact]
    public async Task KilledConsumerProcess_HoldingABatch_MessagesRedeliveredAfterLease()
    {
        // The child process uses the real clock; this test's clock starts at real time and jumps past the lease.
        var clock = Stores.Clock(DateTimeOffset.UtcNow);
        using var store = Stores.Queues(_dir.Path, clock);
        var sent = await store.GetProducer(QueueNames.Provision).SendBatchAsync(
            Enumerable.Range(0, 5).Select(i => QueueSendRequest.Json(new ProvisionMessage($"job_{i}", 1, "forward"))));

        var claimed = await KillHelper.ClaimThenKillAsync(_dir.Path, QueueNames.Provision, maxMessages: 3, visibilitySeconds: 30);

        Assert.Equal(3, claimed.Count);
        Assert.Subset(sent.ToHashSet(), claimed.ToHashSet());
        var consumer = store.GetConsumer(QueueNames.Provision, Stores.Immediate());
        var rest = await consumer.ReceiveAvailableAsync();
        Assert.Equal(sent.Except(claimed).Order(), rest.Messages.Select(m => m.Id).Order());
        await rest.AckAllAsync();
        Assert.Empty((await consumer.ReceiveAvailableAsync()).Messages);

        clock.Advance(TimeSpan.FromSeconds(31));
        var redelivered = await consumer.ReceiveAvailableAsync();
        Assert.Equal(claimed.Order(), redelivered.Messages.Select(m => m.Id).Order());
        Assert.All(redelivered.Messages, m => Assert.Equal(2, m.Attempts));
        await redelivered.AckAllAsync();
        Assert.Equal(0, (await store.GetStatsAsync(QueueNames.Provision)).Total);
    }

    [Fact]
    public async Task Retry_BeyondMaxRetries_MovesToDeadLetterQueueWithAttemptsAndLastError()
    {
        var clock = Stores.Clock();
        using var store = Stores.Queues(_dir.Path, clock);
        var options = store.GetOptions(QueueNames.Provision).Clone();
        options.MaxBatchWait = TimeSpan.Zero;
        Assert.Equal(5, options.MaxRetries);
        var id = await store.GetProducer(QueueNames.Provision).SendJsonAsync(new ProvisionMessage("job_x", 1, "forward"));
        var consumer = store.GetConsumer(QueueNames.Provision, options);

        var attempts = new List<int>();
        for (var i = 1; i <= 6; i++)
        {
            var batch = await consumer.ReceiveAvailableAsync();
            var message = Assert.Single(batch.Messages);
            attempts.Add(message.Attempts);
            Assert.Equal(i == 1 ? null : $"CF_API_ERROR 500 (attempt {i - 1})", message.LastError);
            await message.RetryAsync(TimeSpan.FromSeconds(5), $"CF_API_ERROR 500 (attempt {i})");
            Assert.Equal(i <= 5 ? QueueMessageOutcome.Retried : QueueMessageOutcome.DeadLettered, message.Outcome);
            clock.Advance(TimeSpan.FromSeconds(5));
        }

        Assert.Equal([1, 2, 3, 4, 5, 6], attempts);
        Assert.Equal(0, (await store.GetStatsAsync(QueueNames.Provision)).Total);
        var dlq = await store.GetConsumer(QueueNames.ProvisionDeadLetter, Stores.Immediate()).ReceiveAvailableAsync();
        var dead = Assert.Single(dlq.Messages);
        Assert.Equal(id, dead.Id);
        Assert.Equal(new ProvisionMessage("job_x", 1, "forward"), dead.BodyAsJson<ProvisionMessage>());
        Assert.Equal(1, dead.Attempts);
        Assert.NotNull(dead.DeadLetter);
        Assert.Equal(QueueNames.Provision, dead.DeadLetter.SourceQueue);
        Assert.Equal(6, dead.DeadLetter.Attempts);
        Assert.Equal("CF_API_ERROR 500 (attempt 6)", dead.DeadLetter.LastError);
        Assert.Equal(Stores.Start.AddSeconds(25), dead.DeadLetter.DeadLetteredAt);
    }

    [Fact]
    public async Task DeadLetter_OnFirstDelivery_MovesNowWithItsError_AndASecondSettlementIsRefused()
    {
        var clock = Stores.Clock();
        using var store = Stores.Queues(_dir.Path, clock);
        var options = store.GetOptions(QueueNames.Provision).Clone();
        options.MaxBatchWait = TimeSpan.Zero;
        var id = await store.GetProducer(QueueNames.Provision).SendJsonAsync(new ProvisionMessage("job_y", 2, "forward"));
        var message = Assert.Single((await store.GetConsumer(QueueNames.Provision, options).ReceiveAvailableAsync()).Messages);

        Assert.True(await message.DeadLetterAsync("CF_API_ERROR: sixth transient failure of the run"));
        Assert.Equal(QueueMessageOutcome.DeadLettered, message.Outcome);
        Assert.False(await message.RetryAsync(TimeSpan.FromSeconds(1)));
        Assert.False(await message.AckAsync());

        Assert.Equal(0, (await store.GetStatsAsync(QueueNames.Provision)).Total);
        var dead = Assert.Single((await store.GetConsumer(QueueNames.ProvisionDeadLetter, Stores.Immediate()).ReceiveAvailableAsync()).Messages);
        Assert.Equal(id, dead.Id);
        Assert.Equal(1, dead.DeadLetter!.Attempts);
        Assert.Equal("CF_API_ERROR: sixth transient failure of the run", dead.DeadLetter.LastError);
    }

    [Fact]
    public async Task DeadLetter_WithoutDeadLetterQueue_DiscardsTheMessage()
    {
        using var store = Stores.Queues(_dir.Path, Stores.Clock());
        await store.GetProducer("nodlq").SendTextAsync("x");
        var message = Assert.Single((await store.GetConsumer("nodlq", Stores.Immediate()).ReceiveAvailableAsync()).Messages);

        Assert.True(await message.DeadLetterAsync("gone"));

        Assert.Equal(QueueMessageOutcome.Discarded, message.Outcome);
        Assert.Equal(0, (await store.GetStatsAsync("nodlq")).Total);
    }

    [Fact]
    public async Task LeaseExpiry_OnLastAllowedAttempt_DeadLettersInsteadOfRedelivering()
    {
        var clock = Stores.Clock();
        using var store = Stores.Queues(_dir.Path, clock);
        var options = Stores.Immediate(maxRetries: 1, deadLetterQueue: "jobs-dlq");
        await store.GetProducer("jobs").SendTextAsync("work");
        var consumer = store.GetConsumer("jobs", options);

        Assert.Single((await consumer.ReceiveAvailableAsync()).Messages);
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(2, Assert.Single((await consumer.ReceiveAvailableAsync()).Messages).Attempts);
        clock.Advance(TimeSpan.FromSeconds(30));

        Assert.Empty((await consumer.ReceiveAvailableAsync()).Messages);
        var dead = Assert.Single((await store.GetConsumer("jobs-dlq", Stores.Immediate()).ReceiveAvailableAsync()).Messages);
        Assert.Equal("work", dead.BodyAsString());
        Assert.Equal(2, dead.DeadLetter!.Attempts);
        Assert.Equal(QueueDeadLetterInfo.LeaseExpiredError, dead.DeadLetter.LastError);
    }

    [Fact]
    public async Task RetriesExhausted_WithoutDeadLetterQueue_MessageIsDiscarded()
    {
        using var store = Stores.Queues(_dir.Path, Stores.Clock());
        await store.GetProducer("nodlq").SendTextAsync("x");
        var consumer = store.GetConsumer("nodlq", Stores.Immediate(maxRetries: 0));

        var message = Assert.Single((await consumer.ReceiveAvailableAsync()).Messages);
        await message.RetryAsync();

        Assert.Equal(QueueMessageOutcome.Discarded, message.Outcome);
        Assert.Equal(0, (await store.GetStatsAsync("nodlq")).Total);
    }

    [Fact]
    public async Task RetryWithDelay_NotDeliveredBeforeDelay_ThenDelivered()
    {
        var clock = Stores.Clock();
        using var store = Stores.Queues(_dir.Path, clock);
        await store.GetProducer("jobs").SendTextAsync("x");
        var consumer = store.GetConsumer("jobs", Stores.Immediate());
        var first = Assert.Single((await consumer.ReceiveAvailableAsync()).Messages);

        await first.RetryAsync(TimeSpan.FromSeconds(7), "429 Retry-After: 7");

        Assert.Equal(new QueueStats("jobs", 0, 0, 1), await store.GetStatsAsync("jobs"));
        clock.Advance(TimeSpan.FromSeconds(7) - TimeSpan.FromMilliseconds(1));
        Assert.Empty((await consumer.ReceiveAvailableAsync()).Messages);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var second = Assert.Single((await consumer.ReceiveAvailableAsync()).Messages);
        Assert.Equal(2, second.Attempts);
        Assert.Equal("429 Retry-After: 7", second.LastError);
    }

    [Fact]
    public async Task RetryWithoutDelay_UsesQueueRetryDelay()
    {
        var clock = Stores.Clock();
        using var store = Stores.Queues(_dir.Path, clock);
        var options = Stores.Immediate();
        options.RetryDelay = TimeSpan.FromSeconds(10);
        await store.GetProducer("jobs").SendTextAsync("x");
        var consumer = store.GetConsumer("jobs", options);
        var batch = await consumer.ReceiveAvailableAsync();

        await batch.RetryAllAsync();

        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Empty((await consumer.ReceiveAvailableAsync()).Messages);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Single((await consumer.ReceiveAvailableAsync()).Messages);
    }

    [Fact]
    public async Task SendWithDelay_NotDeliveredBeforeDelay_MessageDelayOverridesBatchDelay()
    {
        var clock = Stores.Clock();
        using var store = Stores.Queues(_dir.Path, clock);
        var producer = store.GetProducer("delayed");
        await producer.SendBatchAsync([QueueSendRequest.Text("batch-delay"), QueueSendRequest.Text("own-delay", TimeSpan.FromSeconds(5))], delay: TimeSpan.FromSeconds(60));
        await producer.SendTextAsync("later", TimeSpan.FromSeconds(30));
        var consumer = store.GetConsumer("delayed", Stores.Immediate());

        Assert.Empty((await consumer.ReceiveAvailableAsync()).Messages);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(["own-delay"], await ReceiveBodies(consumer));
        clock.Advance(TimeSpan.FromSeconds(25));
        Assert.Equal(["later"], await ReceiveBodies(consumer));
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(["batch-delay"], await ReceiveBodies(consumer));
    }

    [Fact]
    public async Task Settlement_FirstOneWins_AckAllSkipsRetriedAndAckedMessages()
    {
        var clock = Stores.Clock();
        using var store = Stores.Queues(_dir.Path, clock);
        await store.GetProducer("jobs").SendBatchAsync(Enumerable.Range(0, 3).Select(i => QueueSendRequest.Json(i)));
        var consumer = store.GetConsumer("jobs", Stores.Immediate());
        var batch = await consumer.ReceiveAvailableAsync();

        Assert.True(await batch.Messages[0].RetryAsync());
        Assert.False(await batch.Messages[0].AckAsync());
        Assert.True(await batch.Messages[1].AckAsync());
        Assert.False(await batch.Messages[1].RetryAsync());
        await batch.AckAllAsync();
        await batch.RetryAllAsync();

        Assert.Equal([QueueMessageOutcome.Retried, QueueMessageOutcome.Acked, QueueMessageOutcome.Acked], batch.Messages.Select(m => m.Outcome));
        var again = Assert.Single((await consumer.ReceiveAvailableAsync()).Messages);
        Assert.Equal(0, again.BodyAsJson<int>());
    }

    [Fact]
    public async Task RetryAll_MixedAttempts_RetriesSomeAndDeadLettersExhausted()
    {
        var clock = Stores.Clock();
        using var store = Stores.Queues(_dir.Path, clock);
        var options = Stores.Immediate(maxRetries: 1, deadLetterQueue: "dlq");
        var producer = store.GetProducer("jobs");
        await producer.SendTextAsync("old");
        var consumer = store.GetConsumer("jobs", options);
        await (await consumer.ReceiveAvailableAsync()).RetryAllAsync();
        await producer.SendTextAsync("new");

        var batch = await consumer.ReceiveAvailableAsync();
        Assert.Equal([2, 1], batch.Messages.Select(m => m.Attempts));
        await batch.RetryAllAsync(error: "boom");

        Assert.Equal([QueueMessageOutcome.DeadLettered, QueueMessageOutcome.Retried], batch.Messages.Select(m => m.Outcome));
        Assert.Equal(["new"], await ReceiveBodies(consumer));
        var dead = Assert.Single((await store.GetConsumer("dlq", Stores.Immediate()).ReceiveAvailableAsync()).Messages);
        Assert.Equal("old", dead.BodyAsString());
        Assert.Equal("boom", dead.DeadLetter!.LastError);
    }

    [Fact]
    public async Task TwoConcurrentConsumers_OnSeparateStores_NeverHoldTheSameMessage_AndProcessEveryMessageOnce()
    {
        const int Count = 1500;
        using var producerStore = Stores.Queues(_dir.Path, TimeProvider.System);
        using var storeA = Stores.Queues(_dir.Path, TimeProvider.System);
        using var storeB = Stores.Queues(_dir.Path, TimeProvider.System);
        var producer = producerStore.GetProducer("race");
        var held = new ConcurrentDictionary<string, int>();
        var processed = new ConcurrentDictionary<string, int>();
        var overlaps = 0;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        async Task Consume(SqliteQueueStore store, int consumerId)
        {
            var consumer = store.GetConsumer("race", new QueueOptions { MaxBatchSize = 10, MaxBatchWait = TimeSpan.Zero, PollInterval = TimeSpan.FromMilliseconds(5) });
            while (processed.Count < Count)
            {
                var batch = await consumer.ReceiveAvailableAsync(cancellationToken: cts.Token);
                if (batch.Messages.Count == 0)
                {
                    await Task.Delay(2, cts.Token);
                    continue;
                }

                foreach (var message in batch.Messages)
                {
                    if (!held.TryAdd(message.Id, consumerId))
                    {
                        Interlocked.Increment(ref overlaps);
                    }
                }

                Thread.SpinWait(200);
                foreach (var message in batch.Messages)
                {
                    held.TryRemove(message.Id, out _);
                    processed.AddOrUpdate(message.Id, 1, (_, n) => n + 1);
                }

                // Mix per-message acks and ack-all.
                if (batch.Messages.Count % 2 == 0)
                {
                    await batch.AckAllAsync(cts.Token);
                }
                else
                {
                    foreach (var message in batch.Messages)
                    {
                        Assert.True(await message.AckAsync(cts.Token));
                    }
                }
            }
        }

        var produce = Task.Run(async () =>
        {
            for (var i = 0; i < Count; i += 50)
            {
                await producer.SendBatchAsync(Enumerable.Range(i, 50).Select(n => QueueSendRequest.Json(n)), cancellationToken: cts.Token);
            }
        });
        var a = Task.Run(() => Consume(storeA, 1));
        var b = Task.Run(() => Consume(storeB, 2));
        await Task.WhenAll(produce, a, b);

        Assert.Equal(0, overlaps);
        Assert.Equal(Count, processed.Count);
        Assert.All(processed.Values, n => Assert.Equal(1, n));
        Assert.Equal(0, (await producerStore.GetStatsAsync("race")).Total);
    }

    [Fact]
    public async Task Restart_DisposeAndReopen_PendingDelayedAndLeasedMessagesAllSurvive()
    {
        var clock = Stores.Clock();
        string leasedId;
        using (var first = Stores.Queues(_dir.Path, clock))
        {
            var producer = first.GetProducer(QueueNames.Provision);
            leasedId = await producer.SendTextAsync("leased");
            var batch = await first.GetConsumer(QueueNames.Provision, Stores.Immediate()).ReceiveAvailableAsync();
            Assert.Equal(leasedId, Assert.Single(batch.Messages).Id);
            await producer.SendTextAsync("pending");
            await producer.SendTextAsync("delayed", TimeSpan.FromSeconds(10));
        }

        using var second = Stores.Queues(_dir.Path, clock);
        Assert.Equal(new QueueStats(QueueNames.Provision, 1, 1, 1), await second.GetStatsAsync(QueueNames.Provision));
        var consumer = second.GetConsumer(QueueNames.Provision, Stores.Immediate());
        Assert.Equal(["pending"], await ReceiveBodies(consumer));
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(["delayed", "leased"], (await ReceiveBodies(consumer)).Order(StringComparer.Ordinal));
        Assert.Equal(0, (await second.GetStatsAsync(QueueNames.Provision)).Total);
    }

    [Fact]
    public async Task ReceiveAsync_WaitsForBatchToFillUntilMaxBatchWait()
    {
        var clock = Stores.Clock();
        using var store = Stores.Queues(_dir.Path, clock);
        var consumer = store.GetConsumer("wait", new QueueOptions { MaxBatchSize = 5, MaxBatchWait = TimeSpan.FromSeconds(1), PollInterval = TimeSpan.FromMilliseconds(100) });
        var producer = store.GetProducer("wait");

        var receiving = consumer.ReceiveAsync();
        await producer.SendBatchAsync([QueueSendRequest.Text("a"), QueueSendRequest.Text("b")]);

        // Move the fake clock in small steps, letting the consumer's loop run between them: the batch (2 of 5) may
        // only be delivered once a full MaxBatchWait has passed since the consumer saw the first message.
        var advanced = TimeSpan.Zero;
        var realDeadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            await Task.Delay(5);
            if (receiving.IsCompleted || DateTime.UtcNow > realDeadline)
            {
                break;
            }

            clock.Advance(TimeSpan.FromMilliseconds(100));
            advanced += TimeSpan.FromMilliseconds(100);
        }

        Assert.True(advanced >= TimeSpan.FromSeconds(1), $"delivered after only {advanced.TotalMilliseconds} ms of batch wait");
        var batch = await receiving.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["a", "b"], batch.Messages.Select(m => m.BodyAsString()));
    }

    [Fact]
    public async Task ReceiveAsync_ReturnsAtOnceWhenBatchIsFull_AndWakesOnSendWithoutClockMoving()
    {
        var clock = Stores.Clock();
        using var store = Stores.Queues(_dir.Path, clock);
        var consumer = store.GetConsumer("full", new QueueOptions { MaxBatchSize = 3, MaxBatchWait = TimeSpan.FromSeconds(5) });

        var receiving = consumer.ReceiveAsync();
        await store.GetProducer("full").SendBatchAsync(Enumerable.Range(0, 4).Select(i => QueueSendRequest.Json(i)));

        var batch = await receiving.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([0, 1, 2], batch.Messages.Select(m => m.BodyAsJson<int>()));
    }

    [Fact]
    public async Task Send_OverLimits_IsRefusedAndNothingStored()
    {
        using var store = Stores.Queues(_dir.Path, Stores.Clock());
        var producer = store.GetProducer("limits");

        await Assert.ThrowsAsync<ArgumentException>(() => producer.SendBatchAsync(Enumerable.Range(0, 101).Select(i => QueueSendRequest.Json(i))));
        await Assert.ThrowsAsync<ArgumentException>(() => producer.SendAsync(QueueSendRequest.Raw(new byte[128 * 1024 + 1])));
        await Assert.ThrowsAsync<ArgumentException>(() => producer.SendBatchAsync(Enumerable.Range(0, 3).Select(_ => QueueSendRequest.Raw(new byte[100 * 1024]))));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => producer.SendTextAsync("x", TimeSpan.FromHours(13)));
        await Assert.ThrowsAsync<ArgumentException>(() => producer.SendBatchAsync([]));
        Assert.Throws<ArgumentException>(() => store.GetProducer("Bad_Name"));
        Assert.Throws<ArgumentException>(() => store.GetConsumer("jobs", new QueueOptions { DeadLetterQueue = "jobs" }));

        Assert.Equal(0, (await store.GetStatsAsync("limits")).Total);
    }

    [Fact]
    public async Task QueueFile_IsUnderDataDirInWalMode()
    {
        using var store = Stores.Queues(_dir.Path, Stores.Clock());
        await store.GetProducer("q").SendTextAsync("x");

        var path = Path.Combine(_dir.Path, "queues", "queues.db");
        Assert.Equal(path, SqliteQueueStore.FilePath(_dir.Path));
        using var connection = new SqliteConnection($"Data Source={path};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar());
    }

    private static async Task<List<string>> ReceiveBodies(IQueueConsumer consumer)
    {
        var batch = await consumer.ReceiveAvailableAsync(100);
        await batch.AckAllAsync();
        return batch.Messages.Select(m => m.BodyAsString()).ToList();
    }
}
