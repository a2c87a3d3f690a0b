using System.Net;
using System.Text.Json;
using Nno.Registry.Tests.Support;

namespace Nno.Registry.Tests.Objects;

/// <summary>Keyset pagination, totals, cursor binding and filters of every object list (registry.md §3.2, §3.3, §8).</summary>
public sealed class ObjectListTests(SharedRegistry shared) : IClassFixture<SharedRegistry>
{
    private RegistryHost Host => shared.Host;

    /// <summary>Seeds 24 more rows of the list's kind (25 with the seeded one for most lists) and returns the list path and expected count.</summary>
    private async Task<(string Path, int Count)> SeedListAsync(SeededPlatform p, string list)
    {
        switch (list)
        {
            case "stacks":
                for (var i = 0; i < 24; i++)
                {
                    await Host.AddStackAsync(p.Id, p.EntityId);
                }

                return ("stacks", 26); // default + seeded + 24
            case "features":
                for (var i = 0; i < 24; i++)
                {
                    await Host.AddActivationAsync(p.Id, p.EntityId, p.StackId, "feat" + i);
                }

                return ("features", 25);
            case "resources":
                for (var i = 0; i < 24; i++)
                {
                    await Host.AddResourceAsync(p.Id, p.StackId, "r" + i);
                }

                return ("resources", 26); // db + team worker + 24
            case "dns-records":
                for (var i = 0; i < 24; i++)
                {
                    await Host.AddDnsRecordAsync(p.Id, p.StackId, "h" + i);
                }

                return ("dns-records", 25);
            case "custom-domains":
                for (var i = 0; i < 24; i++)
                {
                    await Host.AddCustomDomainAsync(p.Id, p.StackId);
                }

                return ("custom-domains", 25);
            case "secrets":
                for (var i = 0; i < 24; i++)
                {
                    await Host.AddSecretAsync(p.Id, p.WorkerId, "KEY_" + i);
                }

                return ("secrets", 25);
            case "feature-secrets":
                for (var i = 0; i < 24; i++)
                {
                    await Host.AddSecretAsync(p.Id, p.WorkerId, "FEATURE_KEY_" + i);
                }

                // A system secret of the same Worker is not a feature (customer) secret.
                await Host.AddSecretAsync(p.Id, p.WorkerId, "SYSTEM_KEY", source: "system");
                return ($"features/{p.ActivationId}/secrets", 25);
            default:
                throw new ArgumentOutOfRangeException(nameof(list));
        }
    }

    [Theory]
    [InlineData("stacks")]
    [InlineData("features")]
    [InlineData("resources")]
    [InlineData("dns-records")]
    [InlineData("custom-domains")]
    [InlineData("secrets")]
    [InlineData("feature-secrets")]
    public async Task Lists_page_in_creation_order_without_gaps_or_duplicates(string list)
    {
        var p = await Host.SeedPlatformAsync("page-" + list);
        var other = await Host.SeedPlatformAsync("page-other-" + list);
        var (path, count) = await SeedListAsync(p, list);
        var basePath = $"{RegistryApi.Platforms}/{p.Id}/{path}";
        using var owner = Host.User(p.OwnerId, (p.Id, "owner"));

        var ids = new List<string>();
        var created = new List<DateTimeOffset>();
        string? cursor = null;
        var pages = 0;
        do
        {
            using var response = await owner.GetAsync($"{basePath}?limit=10&includeTotal=true" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            var page = await response.ExpectAsync(HttpStatusCode.OK);
            pages++;
            Assert.Equal(count, page.GetProperty("pagination").GetProperty("total").GetInt32());
            foreach (var item in page.GetProperty("data").EnumerateArray())
            {
                ids.Add(item.GetProperty("id").GetString()!);
                created.Add(item.GetProperty("createdAt").GetDateTimeOffset());
                Assert.Equal(p.Id, item.GetProperty("platformId").GetString());
                Assert.False(item.TryGetProperty("definition", out _), "list items omit definition");
            }

            cursor = page.GetProperty("pagination").GetProperty("nextCursor").GetString();
            Assert.Equal(cursor is not null, page.GetProperty("pagination").GetProperty("hasMore").GetBoolean());
        }
        while (cursor is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(count, ids.Count);
        Assert.Equal(count, ids.Distinct().Count());
        Assert.Equal(created.OrderBy(c => c), created);

        using var withoutTotal = await owner.GetAsync(basePath);
        var first = await withoutTotal.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, first.GetProperty("pagination").GetProperty("total").ValueKind);
        Assert.Equal(20, first.GetProperty("data").GetArrayLength());

        foreach (var bad in new[] { "limit=0", "limit=101", "limit=x", "includeTotal=yes", "cursor=tampered" })
        {
            using var response = await owner.GetAsync($"{basePath}?{bad}");
            await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        }

        // A cursor is bound to its list, platform and filters.
        using var firstPage = await owner.GetAsync($"{basePath}?limit=5");
        var next = (await firstPage.ExpectAsync(HttpStatusCode.OK)).GetProperty("pagination").GetProperty("nextCursor").GetString()!;
        using var op = Host.Operator();
        using var otherPlatform = await op.GetAsync($"{RegistryApi.Platforms}/{other.Id}/{path.Replace(p.ActivationId, other.ActivationId, StringComparison.Ordinal)}?cursor={Uri.EscapeDataString(next)}");
        await otherPlatform.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        if (list != "feature-secrets")
        {
            var filter = list switch
            {
                "secrets" => "environment=prod",
                "custom-domains" => "status=pending",
                "dns-records" => "environment=prod",
                _ => "status=active",
            };
            using var otherFilter = await owner.GetAsync($"{basePath}?{filter}&cursor={Uri.EscapeDataString(next)}");
            await otherFilter.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        }
    }

    [Fact]
    public async Task Filters_narrow_each_list_and_bad_filter_values_are_400()
    {
        var p = await Host.SeedPlatformAsync("filters");
        var failedStack = await Host.AddStackAsync(p.Id, p.EntityId, status: "failed");
        await Host.AddActivationAsync(p.Id, p.EntityId, "default", "crm", environment: "stg", status: "inactive");
        await Host.AddResourceAsync(p.Id, "default", "auth", type: "worker", environment: "stg");
        using var member = Host.User("usr_filter_member", (p.Id, "member"));

        async Task<List<JsonElement>> ItemsAsync(string query)
        {
            using var response = await member.GetAsync($"{RegistryApi.Platforms}/{p.Id}/{query}");
            return (await response.ExpectAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray().ToList();
        }

        Assert.Equal(failedStack, Assert.Single(await ItemsAsync("stacks?status=failed")).GetProperty("id").GetString());
        Assert.Equal(3, (await ItemsAsync($"stacks?tenantId={p.EntityId}")).Count);
        Assert.Equal("crm", Assert.Single(await ItemsAsync("features?environment=stg")).GetProperty("featureId").GetString());
        Assert.Single(await ItemsAsync("features?stackId=default&status=inactive"));
        Assert.Single(await ItemsAsync($"features?featureId=team&entityId={p.EntityId}"));
        Assert.Equal(2, (await ItemsAsync("resources?type=worker")).Count);
        Assert.Single(await ItemsAsync("resources?type=worker&environment=stg&stackId=default"));
        Assert.Single(await ItemsAsync("resources?featureId=team"));
        Assert.Single(await ItemsAsync($"dns-records?stackId={p.StackId}&sslStatus=pending&hostname=team.svc.{p.StackId}.{p.Id}.nno.run"));
        Assert.Empty(await ItemsAsync("dns-records?sslStatus=active"));
        Assert.Single(await ItemsAsync("custom-domains?status=pending"));
        Assert.Empty(await ItemsAsync("custom-domains?status=active"));

        // The stack read shows the definition; the list does not.
        var stack = (await ItemsAsync("stacks?status=failed"))[0];
        Assert.False(stack.TryGetProperty("definition", out _));
        using var single = await member.GetAsync($"{RegistryApi.Platforms}/{p.Id}/stacks/{failedStack}");
        var full = await single.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("crm", full.GetProperty("definition").GetProperty("name").GetString());
        Assert.Equal(p.EntityId, full.GetProperty("tenantId").GetString());

        foreach (var bad in new[]
        {
            "stacks?status=gone", "stacks?tenantId=x", "features?environment=qa", "features?featureId=Bad_Id", "features?stackId=nope",
            "resources?type=blob", "resources?status=done", "dns-records?hostname=NOT_A_HOST", "dns-records?sslStatus=ok", "custom-domains?status=live",
        })
        {
            using var response = await member.GetAsync($"{RegistryApi.Platforms}/{p.Id}/{bad}");
            await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        }

        using var owner = Host.User(p.OwnerId, (p.Id, "owner"));
        using var badSecretFilter = await owner.GetAsync($"{RegistryApi.Platforms}/{p.Id}/secrets?resourceId=nope");
        await badSecretFilter.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        using var secretFilter = await owner.GetAsync($"{RegistryApi.Platforms}/{p.Id}/secrets?resourceId={p.WorkerId}&environment=prod");
        Assert.Equal(1, (await secretFilter.ExpectAsync(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Build_state_and_environments_list_each_environment_once()
    {
        var p = await Host.SeedPlatformAsync("small-lists");
        using var member = Host.User("usr_small_member", (p.Id, "member"));
        using var build = await member.GetAsync($"{RegistryApi.Platforms}/{p.Id}/build-state");
        var state = Assert.Single((await build.ExpectAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
        Assert.Equal(("prod", "success", $"{p.Id}-prod-portal"), (state.GetProperty("environment").GetString(), state.GetProperty("status").GetString(), state.GetProperty("pagesProject").GetString()));
        using var environments = await member.GetAsync($"{RegistryApi.Platforms}/{p.Id}/environments");
        var environment = Assert.Single((await environments.ExpectAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
        Assert.Equal(("prod", "active"), (environment.GetProperty("environment").GetString(), environment.GetProperty("status").GetString()));
    }
}
