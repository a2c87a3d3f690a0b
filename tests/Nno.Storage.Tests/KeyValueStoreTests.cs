using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Nno.Storage.Sqlite;

namespace Nno.Storage.Tests;

public sealed class KeyValueStoreTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed record PlatformStatus(string PlatformId, string Status, string Tier, int Version, long UpdatedAt);

    private sealed record StatusMetadata(string Status, int Version);

    [Fact]
    public async Task PutJson_WithMetadata_GetReturnsValueMetadataAndNoExpiration()
    {
        using var store = Stores.Kv(_dir.Path, Stores.Clock());
        var kv = store.GetNamespace(KvNamespaces.PlatformStatus);
        var value = new PlatformStatus("k3m9p2xw7q", "active", "growth", 3, 1767225600000);

        await kv.PutJsonAsync("platform:k3m9p2xw7q", value, KvPutOptions.WithMetadata(new StatusMetadata("active", 3)));

        var entry = await kv.GetAsync("platform:k3m9p2xw7q");
        Assert.NotNull(entry);
        Assert.Equal(value, entry.ValueAsJson<PlatformStatus>());
        Assert.Equal(new StatusMetadata("active", 3), entry.MetadataAs<StatusMetadata>());
        Assert.Null(entry.Expiration);
        Assert.Equal("""{"platformId":"k3m9p2xw7q","status":"active","tier":"growth","version":3,"updatedAt":1767225600000}""", entry.ValueAsString());
        Assert.Equal(value, await kv.GetJsonAsync<PlatformStatus>("platform:k3m9p2xw7q"));
    }

    [Fact]
    public async Task GetJson_ValueWithUnknownFields_ReadsKnownOnes()
    {
        using var store = Stores.Kv(_dir.Path, Stores.Clock());
        var kv = store.GetNamespace(KvNamespaces.PlatformStatus);
        await kv.PutStringAsync("platform:a", """{"status":"suspended","tier":"scale","addedLater":true}""");

        var status = await kv.GetJsonAsync<StatusOnly>("platform:a");

        Assert.Equal(new StatusOnly("suspended", "scale"), status);
    }

    private sealed record StatusOnly(string Status, string Tier);

    [Fact]
    public async Task PutBytes_RoundTripsExactBytes_AndStringConvenience()
    {
        using var store = Stores.Kv(_dir.Path, Stores.Clock());
        var kv = store.GetNamespace("BYTES");
        byte[] bytes = [0, 1, 2, 255, 254, 0];

        await kv.PutAsync("blob", bytes);
        await kv.PutStringAsync("text", "héllo ✓");

        Assert.Equal(bytes, (await kv.GetAsync("blob"))!.Value.ToArray());
        Assert.Equal("héllo ✓", await kv.GetStringAsync("text"));
        Assert.Null(await kv.GetStringAsync("missing"));
        Assert.Null(await kv.GetAsync("missing"));
    }

    [Fact]
    public async Task ExpirationTtl_KeyVisibleUntilTtl_ThenInvisibleToGetAndListImmediately()
    {
        var clock = Stores.Clock();
        using var store = Stores.Kv(_dir.Path, clock);
        var kv = store.GetNamespace(KvNamespaces.CliTokens);

        await kv.PutStringAsync("gh:token:42", "secret-token", new KvPutOptions { ExpirationTtl = TimeSpan.FromSeconds(3000) });
        await kv.PutStringAsync("gh:installation:acme", "42");

        clock.Advance(TimeSpan.FromSeconds(2999));
        var entry = await kv.GetAsync("gh:token:42");
        Assert.NotNull(entry);
        Assert.Equal(Stores.Start.AddSeconds(3000), entry.Expiration);
        var listed = await kv.ListAsync(new KvListOptions { Prefix = "gh:" });
        Assert.Equal(["gh:installation:acme", "gh:token:42"], listed.Keys.Select(k => k.Name));
        Assert.Equal(Stores.Start.AddSeconds(3000), listed.Keys[1].Expiration);

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await kv.GetAsync("gh:token:42"));
        listed = await kv.ListAsync(new KvListOptions { Prefix = "gh:" });
        Assert.Equal(["gh:installation:acme"], listed.Keys.Select(k => k.Name));
        Assert.Equal("42", await kv.GetStringAsync("gh:installation:acme"));
    }

    [Fact]
    public async Task AbsoluteExpiration_KeyInvisibleFromThatInstant()
    {
        var clock = Stores.Clock();
        using var store = Stores.Kv(_dir.Path, clock);
        var kv = store.GetNamespace("TTL");
        var at = Stores.Start.AddMinutes(10);

        await kv.PutStringAsync("k", "v", new KvPutOptions { Expiration = at });

        clock.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromMilliseconds(1));
        Assert.Equal("v", await kv.GetStringAsync("k"));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(await kv.GetStringAsync("k"));
    }

    [Fact]
    public async Task Put_ExpirationTooSoonOrBothForms_IsRefused()
    {
        using var store = Stores.Kv(_dir.Path, Stores.Clock());
        var kv = store.GetNamespace("TTL");

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => kv.PutStringAsync("k", "v", new KvPutOptions { ExpirationTtl = TimeSpan.FromSeconds(59) }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => kv.PutStringAsync("k", "v", new KvPutOptions { Expiration = Stores.Start.AddSeconds(-1) }));
        await Assert.ThrowsAsync<ArgumentException>(() => kv.PutStringAsync("k", "v", new KvPutOptions { Expiration = Stores.Start.AddHours(1), ExpirationTtl = TimeSpan.FromHours(1) }));
        Assert.Null(await kv.GetAsync("k"));
    }

    [Fact]
    public async Task Put_Overwrite_ReplacesValueMetadataAndExpiration()
    {
        var clock = Stores.Clock();
        using var store = Stores.Kv(_dir.Path, clock);
        var kv = store.GetNamespace("OVERWRITE");
        await kv.PutStringAsync("k", "one", new KvPutOptions { ExpirationTtl = TimeSpan.FromMinutes(2), Metadata = JsonSerializer.SerializeToElement(new { a = 1 }) });

        await kv.PutStringAsync("k", "two");
        clock.Advance(TimeSpan.FromHours(1));

        var entry = await kv.GetAsync("k");
        Assert.NotNull(entry);
        Assert.Equal("two", entry.ValueAsString());
        Assert.Null(entry.Metadata);
        Assert.Null(entry.Expiration);
    }

    [Fact]
    public async Task List_250KeysLimit100_ThreePagesInByteOrderWithoutDuplicatesOrMisses()
    {
        using var store = Stores.Kv(_dir.Path, Stores.Clock());
        var kv = store.GetNamespace(KvNamespaces.PlatformStatus);
        var expected = Enumerable.Range(0, 250).Select(i => $"platform:{i:x8}").ToList();
        // Inserted shuffled, with neighbours outside the prefix on both sides.
        foreach (var key in expected.OrderBy(k => k.GetHashCode(StringComparison.Ordinal)))
        {
            await kv.PutStringAsync(key, key, KvPutOptions.WithMetadata(new { key }));
        }

        await kv.PutStringAsync("platform", "no colon");
        await kv.PutStringAsync("platforms:x", "other prefix");
        await kv.PutStringAsync("aaa", "before");

        var pages = new List<KvListResult>();
        string? cursor = null;
        do
        {
            var page = await kv.ListAsync(new KvListOptions { Prefix = "platform:", Limit = 100, Cursor = cursor });
            pages.Add(page);
            cursor = page.Cursor;
        }
        while (!pages[^1].ListComplete);

        Assert.Equal([100, 100, 50], pages.Select(p => p.Keys.Count));
        Assert.Equal([false, false, true], pages.Select(p => p.ListComplete));
        Assert.NotNull(pages[0].Cursor);
        Assert.Null(pages[2].Cursor);
        var names = pages.SelectMany(p => p.Keys).Select(k => k.Name).ToList();
        Assert.Equal(expected.Order(StringComparer.Ordinal), names);
        Assert.All(pages.SelectMany(p => p.Keys), k => Assert.Equal(k.Name, k.Metadata!.Value.GetProperty("key").GetString()));

        var all = await kv.ListAllAsync().ToListAsync();
        Assert.Equal(253, all.Count);
        Assert.Equal("aaa", all[0].Name);
    }

    [Fact]
    public async Task List_ExactlyLimitKeys_IsCompleteOnFirstPage()
    {
        using var store = Stores.Kv(_dir.Path, Stores.Clock());
        var kv = store.GetNamespace("EXACT");
        for (var i = 0; i < 10; i++)
        {
            await kv.PutStringAsync($"k{i}", "v");
        }

        var page = await kv.ListAsync(new KvListOptions { Limit = 10 });

        Assert.Equal(10, page.Keys.Count);
        Assert.True(page.ListComplete);
        Assert.Null(page.Cursor);
    }

    [Fact]
    public async Task List_SortsByUtf8Bytes()
    {
        using var store = Stores.Kv(_dir.Path, Stores.Clock());
        var kv = store.GetNamespace("ORDER");
        // U+FF21 sorts after U+1F600 in UTF-16 code units but before it in UTF-8 bytes.
        string[] keys = ["\U0001F600", "Ａ", "b", "B", "a"];
        foreach (var key in keys)
        {
            await kv.PutStringAsync(key, "v");
        }

        var listed = (await kv.ListAsync()).Keys.Select(k => k.Name).ToArray();

        var byBytes = keys.OrderBy(k => Encoding.UTF8.GetBytes(k), Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y))).ToArray();
        Assert.Equal(byBytes, listed);
        Assert.Equal(["B", "a", "b", "Ａ", "\U0001F600"], listed);
    }

    [Fact]
    public async Task List_InvalidCursorOrLimit_IsRefused()
    {
        using var store = Stores.Kv(_dir.Path, Stores.Clock());
        var kv = store.GetNamespace("LIST");

        await Assert.ThrowsAsync<ArgumentException>(() => kv.ListAsync(new KvListOptions { Cursor = "not base64!" }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => kv.ListAsync(new KvListOptions { Limit = 1001 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => kv.ListAsync(new KvListOptions { Limit = 0 }));
    }

    [Fact]
    public async Task Delete_RemovesKeyFromGetAndList_AndMissingKeyIsFine()
    {
        using var store = Stores.Kv(_dir.Path, Stores.Clock());
        var kv = store.GetNamespace(KvNamespaces.PlatformStatus);
        await kv.PutStringAsync("platform:a", "active");
        await kv.PutStringAsync("platform:b", "active");

        await kv.DeleteAsync("platform:a");
        await kv.DeleteAsync("platform:never");

        Assert.Null(await kv.GetAsync("platform:a"));
        Assert.Equal(["platform:b"], (await kv.ListAsync()).Keys.Select(k => k.Name));
    }

    [Fact]
    public async Task Keys_InvalidOrTooLong_AreRefused()
    {
        using var store = Stores.Kv(_dir.Path, Stores.Clock());
        var kv = store.GetNamespace("KEYS");

        await Assert.ThrowsAsync<ArgumentException>(() => kv.PutStringAsync("", "v"));
        await Assert.ThrowsAsync<ArgumentException>(() => kv.PutStringAsync(".", "v"));
        await Assert.ThrowsAsync<ArgumentException>(() => kv.PutStringAsync("..", "v"));
        await Assert.ThrowsAsync<ArgumentException>(() => kv.PutStringAsync(new string('é', 257), "v"));
        await kv.PutStringAsync(new string('x', 512), "v");
        await Assert.ThrowsAsync<ArgumentException>(() => kv.PutStringAsync("k", "v", KvPutOptions.WithMetadata(new string('m', 1100))));
        Assert.Throws<ArgumentException>(() => store.GetNamespace("bad name"));
        Assert.Throws<ArgumentException>(() => store.GetNamespace("../escape"));
    }

    [Fact]
    public async Task Namespaces_AreIsolated_EachInItsOwnFile()
    {
        using var store = Stores.Kv(_dir.Path, Stores.Clock());
        await store.GetNamespace(KvNamespaces.PlatformStatus).PutStringAsync("k", "status");
        await store.GetNamespace(KvNamespaces.CliTokens).PutStringAsync("k", "token");

        Assert.Equal("status", await store.GetNamespace(KvNamespaces.PlatformStatus).GetStringAsync("k"));
        Assert.Equal("token", await store.GetNamespace(KvNamespaces.CliTokens).GetStringAsync("k"));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "kv", "PLATFORM_STATUS.db")));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "kv", "CLI_TOKENS.db")));
    }

    [Fact]
    public async Task PurgeExpired_DeletesExpiredRowsFromTheFile_KeepsLiveOnes()
    {
        var clock = Stores.Clock();
        using var store = Stores.Kv(_dir.Path, clock, o => o.Kv.CleanupBatchSize = 7);
        var kv = store.GetNamespace("PURGE");
        for (var i = 0; i < 20; i++)
        {
            await kv.PutStringAsync($"short:{i}", "v", new KvPutOptions { ExpirationTtl = TimeSpan.FromMinutes(1) });
        }

        await kv.PutStringAsync("long", "v", new KvPutOptions { ExpirationTtl = TimeSpan.FromHours(1) });
        await kv.PutStringAsync("forever", "v");
        clock.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(22, CountRows("PURGE"));
        Assert.Equal(20, await store.PurgeExpiredAsync());

        Assert.Equal(2, CountRows("PURGE"));
        Assert.Equal(["forever", "long"], (await kv.ListAsync()).Keys.Select(k => k.Name));
    }

    [Fact]
    public async Task Data_SurvivesDisposeAndReopen()
    {
        using (var first = Stores.Kv(_dir.Path, Stores.Clock()))
        {
            await first.GetNamespace("PERSIST").PutStringAsync("k", "kept", KvPutOptions.WithMetadata(new { v = 1 }));
        }

        using var second = Stores.Kv(_dir.Path, Stores.Clock());
        var entry = await second.GetNamespace("PERSIST").GetAsync("k");

        Assert.Equal("kept", entry!.ValueAsString());
        Assert.Equal(1, entry.Metadata!.Value.GetProperty("v").GetInt32());
    }

    [Fact]
    public async Task TwoStoresOnOneFile_ConcurrentWritersOnManyThreads_AllWritesVisibleToBoth()
    {
        // Two applications of one process (for example Registry writing, Gateway reading) open the same file.
        using var registry = Stores.Kv(_dir.Path, TimeProvider.System);
        using var gateway = Stores.Kv(_dir.Path, TimeProvider.System);
        var a = registry.GetNamespace(KvNamespaces.PlatformStatus);
        var b = gateway.GetNamespace(KvNamespaces.PlatformStatus);

        await Parallel.ForEachAsync(Enumerable.Range(0, 400), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var writer = i % 2 == 0 ? a : b;
            await writer.PutStringAsync($"platform:{i:d4}", $"v{i}", cancellationToken: ct);
            var reader = i % 2 == 0 ? b : a;
            Assert.Equal($"v{i}", await reader.GetStringAsync($"platform:{i:d4}", ct));
        });

        Assert.Equal(400, await a.ListAllAsync("platform:").CountAsync());
        Assert.Equal(400, await b.ListAllAsync("platform:", 33).CountAsync());
    }

    [Fact]
    public async Task File_UsesWalMode()
    {
        using var store = Stores.Kv(_dir.Path, Stores.Clock());
        await store.GetNamespace("WAL").PutStringAsync("k", "v");

        using var connection = new SqliteConnection($"Data Source={SqliteKeyValueStore.FilePath(_dir.Path, "WAL")};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar());
    }

    private long CountRows(string ns)
    {
        using var connection = new SqliteConnection($"Data Source={SqliteKeyValueStore.FilePath(_dir.Path, ns)};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM kv";
        return (long)command.ExecuteScalar()!;
    }
}
