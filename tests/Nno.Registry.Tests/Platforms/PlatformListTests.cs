using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Nno.Registry.Tests.Support;

namespace Nno.Registry.Tests.Platforms;

/// <summary>registry.md §7 tests 5 and 6, and paging that stays exact while platforms are being added.</summary>
public sealed class PlatformListTests : IAsyncLifetime
{
    private RegistryHost _host = null!;

    public async Task InitializeAsync() => _host = await RegistryHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task List_45Platforms_ThreePagesWithoutDuplicatesOrGaps_TotalOnlyWhenAsked()
    {
        var created = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 45; i++)
        {
            created.Add((await _host.ImportAsync($"p{i:00}", owner: $"usr_{i}")).GetProperty("id").GetString()!);
            _host.Time.Advance(TimeSpan.FromMilliseconds(i % 3)); // some share a created_at, so the id tie-break is exercised
        }

        using var op = _host.Operator();
        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await op.GetFromJsonAsync<JsonElement>($"{RegistryApi.Platforms}?limit=20&includeTotal=true" + (cursor is null ? "" : "&cursor=" + cursor));
            pages++;
            Assert.Equal(45, page.GetProperty("pagination").GetProperty("total").GetInt32());
            seen.AddRange(page.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("id").GetString()!));
            cursor = page.GetProperty("pagination").GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(45, seen.Count);
        Assert.True(created.SetEquals(seen));

        var withoutTotal = await op.GetFromJsonAsync<JsonElement>($"{RegistryApi.Platforms}?limit=20");
        Assert.Equal(JsonValueKind.Null, withoutTotal.GetProperty("pagination").GetProperty("total").ValueKind);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    [InlineData("limit=x", "limit")]
    [InlineData("cursor=bm90LWEtY3Vyc29y", "cursor")]
    [InlineData("status=frozen", "status")]
    [InlineData("includeDeleted=yes", "includeDeleted")]
    public async Task List_BadQuery_Is400NamingTheField(string query, string field)
    {
        using var op = _host.Operator();
        using var response = await op.GetAsync($"{RegistryApi.Platforms}?{query}");
        var error = await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.True(error.GetProperty("error").GetProperty("details").GetProperty("fields").TryGetProperty(field, out _), error.ToString());
    }

    [Fact]
    public async Task List_CursorTamperedOrReusedWithOtherFilters_Is400()
    {
        for (var i = 0; i < 3; i++)
        {
            await _host.ImportAsync($"c{i}", owner: $"usr_c{i}");
        }

        using var op = _host.Operator();
        var page = await op.GetFromJsonAsync<JsonElement>($"{RegistryApi.Platforms}?limit=1");
        var cursor = page.GetProperty("pagination").GetProperty("nextCursor").GetString()!;
        var tampered = (cursor[0] == 'A' ? 'B' : 'A') + cursor[1..];
        using (var bad = await op.GetAsync($"{RegistryApi.Platforms}?limit=1&cursor={tampered}"))
        {
            await bad.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        }

        using var other = await op.GetAsync($"{RegistryApi.Platforms}?limit=1&tier=starter&cursor={cursor}");
        await other.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task List_User_SeesExactlyTheListedPlatforms_OperatorSeesAll()
    {
        var a = (await _host.ImportAsync("alpha", owner: "usr_1")).GetProperty("id").GetString()!;
        var b = (await _host.ImportAsync("beta", owner: "usr_2")).GetProperty("id").GetString()!;
        var c = (await _host.ImportAsync("gamma", owner: "usr_3")).GetProperty("id").GetString()!;

        using var user = _host.As(Client.Identity.GatewayIdentity.Session("usr_x", "ses_x",
            platforms: new Dictionary<string, string> { [a] = "member", [c] = "owner", ["zzzzzzzzzz"] = "owner" }, activePlatformId: b));
        var mine = await user.GetFromJsonAsync<JsonElement>(RegistryApi.Platforms);
        Assert.Equal(new[] { a, c }.Order(), mine.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("id").GetString()!).Order());

        using var op = _host.Operator();
        var all = await op.GetFromJsonAsync<JsonElement>(RegistryApi.Platforms);
        Assert.Equal(3, all.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task List_ApiKey_SeesItsPlatformOnly_AndNeedsReadScope()
    {
        var a = (await _host.ImportAsync("keyed", owner: "usr_k")).GetProperty("id").GetString()!;
        await _host.ImportAsync("other", owner: "usr_k2");
        using (var key = _host.ApiKey("usr_k", a, "owner", "platforms:read"))
        {
            var list = await key.GetFromJsonAsync<JsonElement>(RegistryApi.Platforms);
            Assert.Equal(a, Assert.Single(list.GetProperty("data").EnumerateArray()).GetProperty("id").GetString());
        }

        using var unscoped = _host.ApiKey("usr_k", a, "owner", "billing:read");
        using var refused = await unscoped.GetAsync(RegistryApi.Platforms);
        await refused.ExpectErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
    }

    [Fact]
    public async Task List_OperatorFiltersByUser_Are403()
    {
        using var user = _host.User("usr_x");
        using (var response = await user.GetAsync($"{RegistryApi.Platforms}?includeDeleted=true"))
        {
            await response.ExpectErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using var owner = await user.GetAsync($"{RegistryApi.Platforms}?ownerUserId=usr_x");
        await owner.ExpectErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
    }

    [Fact]
    public async Task List_QIsCaseInsensitivePrefixOfSlugOrName_SlugIsExact()
    {
        await _host.ImportAsync("acme", owner: "usr_1");
        await _host.ImportAsync("acme-two", owner: "usr_2");
        await _host.ImportAsync("zeta", owner: "usr_3");
        using var op = _host.Operator();
        var byQ = await op.GetFromJsonAsync<JsonElement>($"{RegistryApi.Platforms}?q=AC");
        Assert.Equal(new[] { "acme", "acme-two" }, byQ.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("slug").GetString()!).Order());
        var byName = await op.GetFromJsonAsync<JsonElement>($"{RegistryApi.Platforms}?q=platform%20ze");
        Assert.Equal("zeta", Assert.Single(byName.GetProperty("data").EnumerateArray()).GetProperty("slug").GetString());
        var bySlug = await op.GetFromJsonAsync<JsonElement>($"{RegistryApi.Platforms}?slug=acme");
        Assert.Equal("acme", Assert.Single(bySlug.GetProperty("data").EnumerateArray()).GetProperty("slug").GetString());
        var wildcard = await op.GetFromJsonAsync<JsonElement>($"{RegistryApi.Platforms}?q=%25");
        Assert.Empty(wildcard.GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task List_DeletedPlatforms_HiddenUnlessOperatorAsksIncludeDeleted()
    {
        var id = (await _host.ImportAsync("gone", owner: "usr_g")).GetProperty("id").GetString()!;
        await _host.SetStatusAsync(id, "deleted");
        using var op = _host.Operator();
        Assert.Empty((await op.GetFromJsonAsync<JsonElement>(RegistryApi.Platforms)).GetProperty("data").EnumerateArray());
        Assert.Single((await op.GetFromJsonAsync<JsonElement>($"{RegistryApi.Platforms}?includeDeleted=true")).GetProperty("data").EnumerateArray());
        using var owner = _host.User("usr_g", (id, "owner"));
        Assert.Empty((await owner.GetFromJsonAsync<JsonElement>(RegistryApi.Platforms)).GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task List_250PlatformsPagedWhileOthersAreInserted_EveryOriginalExactlyOnce()
    {
        // Seed directly (the HTTP import of 250 would only slow the test); created_at collides in runs so the id tie-break counts.
        var original = await _host.WithDbAsync(async db =>
        {
            var ids = new List<string>();
            for (var i = 0; i < 250; i++)
            {
                var id = $"s{i:000}aaaaaa";
                ids.Add(id);
                db.Platforms.Add(new Registry.Platforms.PlatformRecord
                {
                    Id = id, Name = "Seed " + i, Slug = $"seed-{i}", Status = "active", CreatedAt = 1_000 + (i / 7), UpdatedAt = 1_000,
                });
            }

            await db.SaveChangesAsync();
            return ids;
        });

        using var op = _host.Operator();
        using var stop = new CancellationTokenSource();
        var inserted = new ConcurrentBag<string>();
        var writer = Task.Run(async () =>
        {
            // New rows land anywhere in the sort order (inside the seeded created_at range), the hardest case for a cursor.
            for (var n = 0; n < 300 && !stop.IsCancellationRequested; n++)
            {
                var id = $"n{n:000}bbbbbb";
                await _host.WithDbAsync(async db =>
                {
                    db.Platforms.Add(new Registry.Platforms.PlatformRecord
                    {
                        Id = id, Name = "Late " + n, Slug = $"late-{n}", Status = "active", CreatedAt = 1_000 + Random.Shared.Next(0, 36), UpdatedAt = 1_000,
                    });
                    return await db.SaveChangesAsync();
                });
                inserted.Add(id);
            }
        });

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await op.GetFromJsonAsync<JsonElement>($"{RegistryApi.Platforms}?limit=17" + (cursor is null ? "" : "&cursor=" + cursor));
            seen.AddRange(page.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("id").GetString()!));
            cursor = page.GetProperty("pagination").GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        await stop.CancelAsync();
        await writer;
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.All(original, id => Assert.Contains(id, seen));
        Assert.NotEmpty(inserted);
    }
}
