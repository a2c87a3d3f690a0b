using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Billing.Tests.Support;

namespace Nno.Billing.Tests.Api;

/// <summary>B15: keyset list on (updatedAt, platformId) with status and updatedAfter.</summary>
public sealed class SubscriptionListTests
{
    private static readonly string[] Pids = ["aaaaaaaaa1", "bbbbbbbbb2", "ccccccccc3"];

    private static async Task SubscribeAllAsync(BillingHost host, HttpClient registry)
    {
        foreach (var pid in Pids)
        {
            using (var customer = await registry.PostAsJsonAsync(new Uri("/customers", UriKind.Relative), new { platformId = pid, email = "o@example.com", name = "P " + pid }))
            {
                await BillingHost.ExpectAsync(customer, HttpStatusCode.Created);
            }

            using (var sub = await registry.PostAsJsonAsync(new Uri("/subscriptions", UriKind.Relative), new { platformId = pid, tier = "starter" }))
            {
                await BillingHost.ExpectAsync(sub, HttpStatusCode.Created);
            }

            host.Platform.Time.Advance(TimeSpan.FromMinutes(1));
        }
    }

    private static async Task<JsonElement> ListAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync(new Uri("/subscriptions" + query, UriKind.Relative));
        return await BillingHost.ExpectAsync(response, HttpStatusCode.OK);
    }

    private static string[] Platforms(JsonElement page) =>
        [.. page.GetProperty("data").EnumerateArray().Select(s => s.GetProperty("platformId").GetString()!)];

    [Fact]
    public async Task B15_PagesInUpdatedAtOrder_WithTotal_AndFiltersByStatusAndUpdatedAfter()
    {
        await using var host = await BillingHost.StartAsync();
        var registry = await host.RegistryAsync();
        await SubscribeAllAsync(host, registry);
        // The first platform changes last (as a webhook would move it): it now sorts last.
        var later = host.Platform.Time.GetUtcNow().ToUnixTimeMilliseconds();
        await host.WithDbAsync(db => db.Subscriptions.Where(s => s.PlatformId == Pids[0])
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, "past_due").SetProperty(r => r.PastDueSince, later).SetProperty(r => r.UpdatedAt, later)));

        var first = await ListAsync(registry, "?limit=2&includeTotal=true");
        Assert.Equal([Pids[1], Pids[2]], Platforms(first));
        Assert.Equal(3, first.GetProperty("pagination").GetProperty("total").GetInt32());
        Assert.True(first.GetProperty("pagination").GetProperty("hasMore").GetBoolean());
        var cursor = first.GetProperty("pagination").GetProperty("nextCursor").GetString()!;
        var second = await ListAsync(registry, "?limit=2&cursor=" + Uri.EscapeDataString(cursor));
        Assert.Equal([Pids[0]], Platforms(second));
        Assert.False(second.GetProperty("pagination").GetProperty("hasMore").GetBoolean());
        var pastDue = second.GetProperty("data")[0];
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(later).AddDays(7), pastDue.GetProperty("graceEndsAt").GetDateTimeOffset());
        Assert.StartsWith("cus_", pastDue.GetProperty("stripeCustomerId").GetString(), StringComparison.Ordinal);

        Assert.Equal([Pids[0]], Platforms(await ListAsync(host.Operator(), "?status=past_due")));
        Assert.Equal([Pids[1], Pids[2]], Platforms(await ListAsync(registry, "?status=trialing")));
        var secondCreated = DateTimeOffset.FromUnixTimeMilliseconds(later).AddMinutes(-2);
        var since = secondCreated.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        Assert.Equal([Pids[2], Pids[0]], Platforms(await ListAsync(registry, "?updatedAfter=" + Uri.EscapeDataString(since))));
        Assert.Empty(Platforms(await ListAsync(registry, "?updatedAfter=" + Uri.EscapeDataString(DateTimeOffset.FromUnixTimeMilliseconds(later).ToString("O", CultureInfo.InvariantCulture)))));
    }

    [Fact]
    public async Task B15_BadFiltersOrACursorOfOtherFilters_Are400_AndUsersAreRefused()
    {
        await using var host = await BillingHost.StartAsync();
        var registry = await host.RegistryAsync();
        await SubscribeAllAsync(host, registry);

        foreach (var query in new[] { "?status=gone", "?updatedAfter=yesterday", "?limit=101", "?cursor=forged" })
        {
            using var bad = await registry.GetAsync(new Uri("/subscriptions" + query, UriKind.Relative));
            await BillingHost.ExpectAsync(bad, HttpStatusCode.BadRequest);
        }

        var cursor = (await ListAsync(registry, "?limit=1")).GetProperty("pagination").GetProperty("nextCursor").GetString()!;
        using (var mismatched = await registry.GetAsync(new Uri("/subscriptions?limit=1&status=trialing&cursor=" + Uri.EscapeDataString(cursor), UriKind.Relative)))
        {
            await BillingHost.ExpectAsync(mismatched, HttpStatusCode.BadRequest);
        }

        using var user = await host.User("owner", Pids[0]).GetAsync(new Uri("/subscriptions", UriKind.Relative));
        await BillingHost.ExpectAsync(user, HttpStatusCode.Forbidden);
        using var other = await (await host.ServiceAsync("cli")).GetAsync(new Uri("/subscriptions", UriKind.Relative));
        await BillingHost.ExpectAsync(other, HttpStatusCode.Forbidden);
    }
}
