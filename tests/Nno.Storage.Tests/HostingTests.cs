using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Nno.Storage.Sqlite;

namespace Nno.Storage.Tests;

public sealed class HostingTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private HostApplicationBuilder Builder(IDictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Nno:DataDir"] = _dir.Path });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        builder.Services.AddNnoEmbeddedStorage();
        return builder;
    }

    [Fact]
    public async Task AddNnoEmbeddedStorage_UsesNnoDataDir_AndNnoQueueDefaults()
    {
        using var host = Builder().Build();
        await host.StartAsync();

        await host.Services.GetRequiredService<IKeyValueStore>().GetNamespace(KvNamespaces.PlatformStatus).PutStringAsync("platform:a", "active");
        var queues = host.Services.GetRequiredService<IQueueStore>();
        await queues.GetProducer(QueueNames.Provision).SendTextAsync("x");

        Assert.True(File.Exists(Path.Combine(_dir.Path, "kv", "PLATFORM_STATUS.db")));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "queues", "queues.db")));
        var provision = queues.GetOptions(QueueNames.Provision);
        Assert.Equal((5, TimeSpan.FromSeconds(1), 5, QueueNames.ProvisionDeadLetter), (provision.MaxBatchSize, provision.MaxBatchWait, provision.MaxRetries, provision.DeadLetterQueue));
        var other = queues.GetOptions("anything-else");
        Assert.Equal((10, TimeSpan.FromSeconds(5), 3, (string?)null, TimeSpan.FromSeconds(30)), (other.MaxBatchSize, other.MaxBatchWait, other.MaxRetries, other.DeadLetterQueue, other.VisibilityTimeout));
        await host.StopAsync();
    }

    [Fact]
    public async Task Configuration_OverridesOneQueueSetting_KeepsItsOtherPresets()
    {
        using var host = Builder(new Dictionary<string, string?>
        {
            ["Nno:Storage:Queues:provision-queue:MaxBatchWait"] = "00:00:00",
            ["Nno:Storage:Queues:bench:MaxBatchSize"] = "100",
            ["Nno:Storage:Kv:MinimumTtl"] = "00:00:01",
        }).Build();
        await host.StartAsync();

        var options = host.Services.GetRequiredService<IOptions<NnoStorageOptions>>().Value;
        var provision = options.ForQueue(QueueNames.Provision);
        Assert.Equal(TimeSpan.Zero, provision.MaxBatchWait);
        Assert.Equal(5, provision.MaxRetries);
        Assert.Equal(QueueNames.ProvisionDeadLetter, provision.DeadLetterQueue);
        Assert.Equal(100, options.ForQueue("bench").MaxBatchSize);
        Assert.Equal(TimeSpan.FromSeconds(1), options.Kv.MinimumTtl);
        await host.StopAsync();
    }

    [Fact]
    public async Task InvalidSetting_FailsAtStart()
    {
        using var host = Builder(new Dictionary<string, string?> { ["Nno:Storage:Queues:provision-queue:MaxBatchSize"] = "0" }).Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("MaxBatchSize", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExplicitDataDir_WinsOverNnoDataDir()
    {
        using var other = new TempDir();
        var services = new ServiceCollection().AddLogging().AddNnoEmbeddedStorage(other.Path);
        await using var provider = services.BuildServiceProvider();

        await provider.GetRequiredService<IKeyValueStore>().GetNamespace("X").PutStringAsync("k", "v");

        Assert.True(File.Exists(Path.Combine(other.Path, "kv", "X.db")));
    }

    private sealed class Recorder
    {
        public ConcurrentBag<(string Body, int Attempts)> Seen { get; } = [];
        public ConcurrentDictionary<string, int> Done { get; } = new();
    }

    private sealed class RecordingHandler(Recorder recorder) : IQueueBatchHandler
    {
        public async Task HandleAsync(IQueueBatch batch, CancellationToken cancellationToken)
        {
            foreach (var message in batch.Messages)
            {
                var body = message.BodyAsString();
                recorder.Seen.Add((body, message.Attempts));
                if (body == "fail")
                {
                    throw new InvalidOperationException("boom");
                }

                if (body == "retry-once" && message.Attempts == 1)
                {
                    // Settled by the handler: the loop's ack-all after success must leave it alone.
                    await message.RetryAsync(cancellationToken: cancellationToken);
                    continue;
                }

                recorder.Done.AddOrUpdate(body, 1, (_, n) => n + 1);
            }
        }
    }

    [Fact]
    public async Task HostedConsumer_AcksOnSuccess_RetriesOnException_DeadLettersAfterMaxRetries()
    {
        var builder = Builder();
        builder.Services.AddSingleton<Recorder>();
        var options = new QueueOptions { MaxBatchSize = 1, MaxBatchWait = TimeSpan.Zero, MaxRetries = 2, DeadLetterQueue = "jobs-dlq", PollInterval = TimeSpan.FromMilliseconds(10) };
        builder.Services.AddQueueConsumer<RecordingHandler>("jobs", options);
        using var host = builder.Build();
        await host.StartAsync();
        var recorder = host.Services.GetRequiredService<Recorder>();
        var queues = host.Services.GetRequiredService<IQueueStore>();

        await queues.GetProducer("jobs").SendBatchAsync([QueueSendRequest.Text("ok-1"), QueueSendRequest.Text("fail"), QueueSendRequest.Text("retry-once"), QueueSendRequest.Text("ok-2")]);

        await Stores.WaitUntilAsync(() => recorder.Done.Count == 3 && queues.GetStatsAsync("jobs-dlq").Result.Total == 1, because: "messages not processed");
        await host.StopAsync();

        Assert.Equal(new Dictionary<string, int> { ["ok-1"] = 1, ["ok-2"] = 1, ["retry-once"] = 1 }, recorder.Done.OrderBy(p => p.Key).ToDictionary());
        Assert.Equal([1, 2, 3], recorder.Seen.Where(s => s.Body == "fail").Select(s => s.Attempts).Order());
        Assert.Equal([1, 2], recorder.Seen.Where(s => s.Body == "retry-once").Select(s => s.Attempts).Order());
        Assert.Equal(0, (await queues.GetStatsAsync("jobs")).Total);
        var dead = Assert.Single((await queues.GetConsumer("jobs-dlq", Stores.Immediate()).ReceiveAvailableAsync()).Messages);
        Assert.Equal("fail", dead.BodyAsString());
        Assert.Equal(3, dead.DeadLetter!.Attempts);
        Assert.Equal("InvalidOperationException: boom", dead.DeadLetter.LastError);
    }

    private sealed class Gate
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class BlockingHandler(Gate gate) : IQueueBatchHandler
    {
        public async Task HandleAsync(IQueueBatch batch, CancellationToken cancellationToken)
        {
            gate.Entered.TrySetResult();
            await gate.Release.Task.WaitAsync(cancellationToken);
        }
    }

    [Fact]
    public async Task HostedConsumer_LongHandler_RenewsLease_SoNoOtherConsumerGetsTheMessage()
    {
        var clock = new FakeTimeProvider(Stores.Start);
        var builder = Builder(time: clock);
        builder.Services.AddSingleton<Gate>();
        builder.Services.AddQueueConsumer<BlockingHandler>("slow", Stores.Immediate(visibility: TimeSpan.FromSeconds(30)));
        using var host = builder.Build();
        await host.StartAsync();
        var gate = host.Services.GetRequiredService<Gate>();
        var queues = host.Services.GetRequiredService<IQueueStore>();
        await queues.GetProducer("slow").SendTextAsync("long job");
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var other = queues.GetConsumer("slow", Stores.Immediate());

        // Three renewal periods (10 s each) take the clock past the original 30 s lease.
        for (var i = 1; i <= 4; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(10));
            var expected = (Stores.Start + TimeSpan.FromSeconds((10 * i) + 30)).ToUnixTimeMilliseconds();
            await Stores.WaitUntilAsync(() => LeaseEnd("slow") == expected, because: $"lease not renewed at tick {i}");
            Assert.Empty((await other.ReceiveAvailableAsync()).Messages);
        }

        gate.Release.SetResult();
        await Stores.WaitUntilAsync(() => queues.GetStatsAsync("slow").Result.Total == 0, because: "not acked");
        await host.StopAsync();
    }

    [Fact]
    public async Task KvCleanupService_RemovesExpiredRowsEveryInterval()
    {
        var clock = new FakeTimeProvider(Stores.Start);
        using var host = Builder(new Dictionary<string, string?> { ["Nno:Storage:Kv:CleanupInterval"] = "00:01:00" }, clock).Build();
        await host.StartAsync();
        var kv = host.Services.GetRequiredService<IKeyValueStore>().GetNamespace(KvNamespaces.CliTokens);
        await kv.PutStringAsync("gh:token:1", "t", new KvPutOptions { ExpirationTtl = TimeSpan.FromSeconds(60) });
        await kv.PutStringAsync("gh:installation:acme", "1");

        clock.Advance(TimeSpan.FromMinutes(1));

        await Stores.WaitUntilAsync(() => KvRows(KvNamespaces.CliTokens) == 1, because: "expired row not cleaned up");
        Assert.Equal("1", await kv.GetStringAsync("gh:installation:acme"));
        await host.StopAsync();
    }

    private long? LeaseEnd(string queue)
    {
        using var connection = new SqliteConnection($"Data Source={SqliteQueueStore.FilePath(_dir.Path)};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT visible_at FROM messages WHERE queue = $q";
        command.Parameters.AddWithValue("$q", queue);
        return command.ExecuteScalar() as long?;
    }

    private long KvRows(string ns)
    {
        using var connection = new SqliteConnection($"Data Source={SqliteKeyValueStore.FilePath(_dir.Path, ns)};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM kv";
        return (long)command.ExecuteScalar()!;
    }
}
