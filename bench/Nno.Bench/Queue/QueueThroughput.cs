using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Nno.Storage;
using Nno.Storage.Sqlite;

namespace Nno.Bench.Queue;

/// <summary>
/// Embedded queue throughput: sends N messages in batches to a real SQLite queue file in a temp directory, then
/// consumes them in batches (receive + ack-all per batch) on the real clock, and reports messages per second.
/// Usage: <c>queue [--messages N] [--send-batch N] [--consume-batch N] [--consumers N] [--synchronous normal|full]</c>.
/// </summary>
public static class QueueThroughput
{
    private const string QueueName = "bench-queue";

    private sealed record JobMessage(string JobId, int RunNumber, string Phase);

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        int messages = 20_000, sendBatch = 100, consumeBatch = 100, consumers = 1;
        var synchronous = SqliteSynchronous.Normal;
        for (var i = 0; i < args.Length; i++)
        {
            int Next() => i + 1 < args.Length && int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : throw new ArgumentException($"{args[i - 1]} needs a positive number.");
            switch (args[i])
            {
                case "--messages": messages = Next(); break;
                case "--send-batch": sendBatch = Math.Min(Next(), 100); break;
                case "--consume-batch": consumeBatch = Math.Min(Next(), 100); break;
                case "--consumers": consumers = Next(); break;
                case "--synchronous" when i + 1 < args.Length && Enum.TryParse<SqliteSynchronous>(args[i + 1], ignoreCase: true, out var level):
                    synchronous = level;
                    i++;
                    break;
                default:
                    Console.Error.WriteLine($"queue: unknown option {args[i]}. Options: --messages N --send-batch N (≤100) --consume-batch N (≤100) --consumers N --synchronous normal|full");
                    return 2;
            }
        }

        var dataDir = Path.Combine(Path.GetTempPath(), $"nno-bench-queue-{Guid.NewGuid():N}");
        try
        {
            var options = new NnoStorageOptions { DataDir = dataDir, QueueSynchronous = synchronous };
            options.Queues[QueueName] = new QueueOptions { MaxBatchSize = consumeBatch, MaxBatchWait = TimeSpan.Zero };
            using var store = new SqliteQueueStore(Options.Create(options), TimeProvider.System);
            Console.WriteLine($"queue: {messages} messages, send batch {sendBatch}, consume batch {consumeBatch}, {consumers} consumer(s); SQLite (WAL, synchronous={synchronous.ToString().ToUpperInvariant()}) at {SqliteQueueStore.FilePath(dataDir)}");

            // Warm-up (not measured): JIT, connection pool and prepared statements.
            var warmup = store.GetProducer("bench-warmup");
            var warmupConsumer = store.GetConsumer("bench-warmup", new QueueOptions { MaxBatchSize = 100, MaxBatchWait = TimeSpan.Zero });
            for (var round = 0; round < 5; round++)
            {
                await warmup.SendBatchAsync(Enumerable.Range(0, 100).Select(n => QueueSendRequest.Json(new JobMessage($"job_{n:d20}", 1, "forward"))));
                var batch = await warmupConsumer.ReceiveAsync();
                _ = batch.Messages.Select(m => m.BodyAsJson<JobMessage>()).Count();
                await batch.AckAllAsync();
            }

            var total = Stopwatch.StartNew();
            var producer = store.GetProducer(QueueName);
            var send = Stopwatch.StartNew();
            for (var sent = 0; sent < messages; sent += sendBatch)
            {
                var count = Math.Min(sendBatch, messages - sent);
                await producer.SendBatchAsync(Enumerable.Range(sent, count).Select(n => QueueSendRequest.Json(new JobMessage($"job_{n:d20}", 1, "forward"))));
            }

            send.Stop();

            var consume = Stopwatch.StartNew();
            var received = 0;
            var ids = new HashSet<string>(StringComparer.Ordinal);
            using var stop = new CancellationTokenSource();
            async Task ConsumeAsync()
            {
                var consumer = store.GetConsumer(QueueName);
                while (Volatile.Read(ref received) < messages)
                {
                    IQueueBatch batch;
                    try
                    {
                        batch = await consumer.ReceiveAsync(stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    foreach (var message in batch.Messages)
                    {
                        _ = message.BodyAsJson<JobMessage>();
                    }

                    await batch.AckAllAsync();
                    lock (ids)
                    {
                        foreach (var message in batch.Messages)
                        {
                            ids.Add(message.Id);
                        }
                    }

                    if (Interlocked.Add(ref received, batch.Messages.Count) >= messages)
                    {
                        await stop.CancelAsync();
                    }
                }
            }

            await Task.WhenAll(Enumerable.Range(0, consumers).Select(_ => Task.Run(ConsumeAsync)));
            consume.Stop();
            total.Stop();

            var left = (await store.GetStatsAsync(QueueName)).Total;
            var sentRate = messages / send.Elapsed.TotalSeconds;
            var consumedRate = received / consume.Elapsed.TotalSeconds;
            var correct = received == messages && ids.Count == messages && left == 0;
            Console.WriteLine($"sent:     {messages} messages in {send.Elapsed.TotalSeconds:0.000} s = {sentRate:0} msg/s");
            Console.WriteLine($"consumed: {received} messages ({ids.Count} distinct, {left} left) in {consume.Elapsed.TotalSeconds:0.000} s = {consumedRate:0} msg/s");
            Console.WriteLine($"total:    {total.Elapsed.TotalSeconds:0.000} s");
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                benchmark = "queue",
                messages,
                sendBatch,
                consumeBatch,
                consumers,
                synchronous = synchronous.ToString().ToLowerInvariant(),
                sendSeconds = Math.Round(send.Elapsed.TotalSeconds, 3),
                sentPerSecond = Math.Round(sentRate),
                consumeSeconds = Math.Round(consume.Elapsed.TotalSeconds, 3),
                consumedPerSecond = Math.Round(consumedRate),
                totalSeconds = Math.Round(total.Elapsed.TotalSeconds, 3),
                allDeliveredOnce = correct,
            }));
            return correct ? 0 : 1;
        }
        finally
        {
            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
