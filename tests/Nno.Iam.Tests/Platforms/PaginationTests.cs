using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Nno.Iam.Tests.Support;

namespace Nno.Iam.Tests.Platforms;

/// <summary>iam.md §7 test 32 for the lists of this part: limits, cursors without duplicates under concurrent inserts, opt-in totals.</summary>
public sealed class PaginationTests(IamFixture fixture) : IClassFixture<IamFixture>
{
    private readonly IamHost _iam = fixture.Iam;

    /// <summary>Walks every page of <paramref name="path"/>, running <paramref name="betweenPages"/> after each one.</summary>
    private static async Task<List<JsonElement>> AllPagesAsync(HttpClient client, string path, int limit, Func<Task>? betweenPages = null)
    {
        var items = new List<JsonElement>();
        string? cursor = null;
        var separator = path.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        do
        {
            using var response = await client.GetAsync($"{path}{separator}limit={limit}" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            var page = await response.AssertStatusAsync(HttpStatusCode.OK);
            var data = page.GetProperty("data").EnumerateArray().ToList();
            Assert.True(data.Count <= limit);
            Assert.Equal(JsonValueKind.Null, page.GetProperty("pagination").GetProperty("total").ValueKind);
            items.AddRange(data);
            cursor = page.GetProperty("pagination").GetProperty("nextCursor").GetString();
            Assert.Equal(cursor is not null, page.GetProperty("pagination").GetProperty("hasMore").GetBoolean());
            if (betweenPages is not null)
            {
                await betweenPages();
            }
        }
        while (cursor is not null);
        return items;
    }

    [Fact]
    public async Task EveryList_PagesWithoutDuplicatesWhileRowsAreInserted_TotalOnlyWhenAsked()
    {
        var platformId = Tenancy.NewPlatformId();
        var owner = await _iam.PlatformUserAsync(platformId, "owner");
        var org = await _iam.CreateOrganizationAsync(platformId, owner.Id);
        var invitee = await _iam.CreateUserAsync();
        for (var i = 0; i < 7; i++)
        {
            var user = await _iam.PlatformUserAsync(platformId, "member");
            await _iam.AddTenantMemberAsync(org, user.Id, "member");
            await _iam.CreateOrganizationAsync(platformId, owner.Id);
            _iam.Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        using var client = _iam.Session(owner.Token);
        var grantee = await FirstTenantMemberAsync(client, org, owner.Id);
        for (var i = 0; i < 7; i++)
        {
            using var invited = await client.PostAsJsonAsync($"/api/nno/platforms/{platformId}/invitations", new { email = $"p{i}-" + invitee.Email, role = "member" });
            await invited.AssertStatusAsync(HttpStatusCode.Created);
            using var grant = await client.PostAsJsonAsync("/api/nno/grants", new { userId = grantee, orgId = org, permission = $"f{i}:read", granted = true });
            await grant.AssertStatusAsync(HttpStatusCode.Created);
        }

        var inserted = 0;
        async Task InsertMore()
        {
            // Concurrent writers: new members, organizations and invitations land while the pages are read.
            var user = await _iam.PlatformUserAsync(platformId, "member");
            await _iam.AddTenantMemberAsync(org, user.Id, "member");
            await _iam.CreateOrganizationAsync(platformId, owner.Id);
            using var grant = await client.PostAsJsonAsync("/api/nno/grants", new { userId = grantee, orgId = org, permission = $"more{inserted}:read", granted = true });
            await grant.AssertStatusAsync(HttpStatusCode.Created);
            using var more = await client.PostAsJsonAsync($"/api/nno/platforms/{platformId}/invitations", new { email = $"more{inserted++}-" + invitee.Email, role = "member" });
            await more.AssertStatusAsync(HttpStatusCode.Created);
        }

        foreach (var (path, key) in new[]
        {
            ($"/api/nno/platforms/{platformId}/members", "userId"),
            ($"/api/nno/organizations/{org}/members", "userId"),
            ($"/api/nno/organizations?platformId={platformId}", "id"),
            ($"/api/nno/platforms/{platformId}/invitations", "id"),
            ($"/api/nno/grants?orgId={org}", "id"),
            ($"/api/nno/users/{owner.Id}/platforms", "platformId"),
        })
        {
            var items = await AllPagesAsync(client, path, 3, InsertMore);
            var ids = items.Select(i => i.GetProperty(key).GetString()).ToList();
            Assert.True(ids.Count == ids.Distinct().Count(), $"{path}: duplicate rows across pages");
            Assert.NotEmpty(ids);

            var separator = path.Contains('?', StringComparison.Ordinal) ? "&" : "?";
            using var counted = await client.GetAsync($"{path}{separator}includeTotal=true&limit=100");
            var page = await counted.AssertStatusAsync(HttpStatusCode.OK);
            Assert.Equal(page.GetProperty("data").GetArrayLength(), page.GetProperty("pagination").GetProperty("total").GetInt32());
        }
    }

    [Fact]
    public async Task Limits_Over100OrZero400_TamperedOrForeignCursor400()
    {
        var platformId = Tenancy.NewPlatformId();
        var owner = await _iam.PlatformUserAsync(platformId, "owner");
        for (var i = 0; i < 3; i++)
        {
            await _iam.PlatformUserAsync(platformId, "member");
        }

        using var client = _iam.Session(owner.Token);
        var path = $"/api/nno/platforms/{platformId}/members";
        foreach (var limit in new[] { "101", "0", "-1", "ten" })
        {
            using var response = await client.GetAsync($"{path}?limit={limit}");
            Assert.Equal(["limit"], (await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields());
        }

        using (var max = await client.GetAsync($"{path}?limit=100"))
        {
            Assert.Equal(4, (await max.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
        }

        using var first = await client.GetAsync($"{path}?limit=1");
        var cursor = (await first.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("pagination").GetProperty("nextCursor").GetString()!;
        var tampered = (cursor[0] == 'A' ? "B" : "A") + cursor[1..];
        using (var bad = await client.GetAsync($"{path}?cursor={Uri.EscapeDataString(tampered)}"))
        {
            Assert.Equal(["cursor"], (await bad.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR")).Fields());
        }

        // A cursor of one platform's list is refused on another's.
        var otherPlatform = Tenancy.NewPlatformId();
        await _iam.AddPlatformMemberAsync(otherPlatform, owner.Id, "owner");
        using (var foreign = await _iam.Session(owner.Token).GetAsync($"/api/nno/platforms/{otherPlatform}/members?cursor={Uri.EscapeDataString(cursor)}"))
        {
            await foreign.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        }
    }

    private static async Task<string> FirstTenantMemberAsync(HttpClient client, string org, string exceptUserId)
    {
        using var response = await client.GetAsync($"/api/nno/organizations/{org}/members?limit=100");
        return (await response.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray()
            .Select(m => m.GetProperty("userId").GetString()!).First(id => id != exceptUserId);
    }
}
