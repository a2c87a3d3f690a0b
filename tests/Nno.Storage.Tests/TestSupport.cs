using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Nno.Storage.Sqlite;

namespace Nno.Storage.Tests;

/// <summary>A fresh directory under the system temp folder, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"nno-storage-test-{Guid.NewGuid():N}");

    public TempDir() => Directory.CreateDirectory(Path);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class Stores
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static FakeTimeProvider Clock(DateTimeOffset? start = null) => new(start ?? Start);

    public static NnoStorageOptions Options(string dataDir, Action<NnoStorageOptions>? configure = null)
    {
        var options = new NnoStorageOptions { DataDir = dataDir };
        configure?.Invoke(options);
        return options;
    }

    public static SqliteKeyValueStore Kv(string dataDir, TimeProvider time, Action<NnoStorageOptions>? configure = null) =>
        new(Microsoft.Extensions.Options.Options.Create(Options(dataDir, configure)), time);

    public static SqliteQueueStore Queues(string dataDir, TimeProvider time, Action<NnoStorageOptions>? configure = null) =>
        new(Microsoft.Extensions.Options.Options.Create(Options(dataDir, configure)), time);

    /// <summary>Queue settings for tests: no batch wait, so a receive never waits on the (fake) clock.</summary>
    public static QueueOptions Immediate(int maxBatchSize = 10, int maxRetries = 3, string? deadLetterQueue = null, TimeSpan? visibility = null) => new()
    {
        MaxBatchSize = maxBatchSize,
        MaxBatchWait = TimeSpan.Zero,
        MaxRetries = maxRetries,
        DeadLetterQueue = deadLetterQueue,
        VisibilityTimeout = visibility ?? TimeSpan.FromSeconds(30),
    };

    /// <summary>Polls <paramref name="condition"/> in real time until true or <paramref name="timeout"/> (for background loops).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null, string? because = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException(because ?? "Condition not met in time.");
            }

            await Task.Delay(10);
        }
    }
}
