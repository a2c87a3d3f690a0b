using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Nno.Core.Services;
using Nno.Gateway.Tests.Support;

namespace Nno.Gateway.Tests.Flows;

/// <summary>
/// Issue 5's acceptance through the real gateway, IAM and Registry: an operator creates platforms and pages through
/// them; the owner's writes are blocked at the gateway while the platform is suspended (the KV written by the
/// Registry's relay, the gateway's 10 s status cache on the shared fake clock) and pass again after restore; cancel,
/// resume and delete follow the lifecycle, and every illegal move is 409 <c>INVALID_TRANSITION</c>.
/// </summary>
public sealed class RegistryFlowTests : IAsyncLifetime
{
    private FlowPlatform _p = null!;
    private string _lastBody = "";

    public async Task InitializeAsync() => _p = await FlowPlatform.StartAsync(extraServices: [NnoServices.Registry]);

    public async Task DisposeAsync() => await _p.DisposeAsync();

    private Task<HttpResponseMessage> AsOperator(HttpMethod method, string path, object? json = null) =>
        _p.SendAsync(method, path, FlowPlatform.StaticKey, json);

    private async Task<string> ImportAsync(string slug, string ownerUserId)
    {
        using var created = await AsOperator(HttpMethod.Post, "/api/v1/platforms", new { name = "Platform " + slug, slug, ownerUserId });
        return (await created.AssertStatusAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
    }

    /// <summary>Moves the shared clock in steps until <paramref name="condition"/> holds (relay polls and cache windows).</summary>
    private async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await condition())
            {
                return;
            }

            _p.Platform.Time.Advance(TimeSpan.FromMilliseconds(500));
            await Task.Delay(10);
        }

        Assert.Fail("Timed out waiting for " + what);
    }

    private async Task<(HttpStatusCode Status, string? Code, bool Forwarded)> CreateEntityAsync(string pid, string token, string slug)
    {
        using var request = GatewayPlatform.Request(HttpMethod.Post, $"/api/v1/platforms/{pid}/entities", token, out var requestId);
        request.Content = JsonContent.Create(new { name = "Tenant " + slug, slug });
        using var response = await _p.Gateway.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var code = body.Length > 0 && JsonDocument.Parse(body).RootElement.TryGetProperty("error", out var error) ? error.GetProperty("code").GetString() : null;
        var line = await AccessLogs.ForAsync(_p.Logs, requestId);
        _lastBody = body;
        return (response.StatusCode, code, line.Field("upstreamStatus") is not null);
    }

    [Fact]
    public async Task SuspendedPlatform_BlocksItsOwnersWritesAtTheGateway_ThenRestoreCancelResumeDelete()
    {
        var owner = await _p.SignUpAsync();
        var pid = await ImportAsync("flow-owned", owner.Id);

        // The relay writes the owner's IAM membership; IAM's eviction reaches the gateway's cached session.
        await EventuallyAsync(async () =>
        {
            using var list = await _p.GetAsync("/api/v1/platforms", owner.Token);
            return list.StatusCode == HttpStatusCode.OK && (await list.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray().Any(p => p.GetProperty("id").GetString() == pid);
        }, "the owner's membership");
        var created = await CreateEntityAsync(pid, owner.Token, "first");
        Assert.True(created == (HttpStatusCode.Created, null, true), $"first tenant: {created} {_lastBody}");

        using (var suspended = await AsOperator(HttpMethod.Post, $"/api/v1/platforms/{pid}/suspend", new { reason = "unpaid invoice" }))
        {
            Assert.Equal("suspended", (await suspended.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("status").GetString());
        }

        // Within the gateway's cache window (10 s) the block arrives; from then on the Registry never sees the write.
        await EventuallyAsync(async () => (await CreateEntityAsync(pid, owner.Token, "blocked-" + Guid.NewGuid().ToString("N")[..6])) is { Status: HttpStatusCode.Forbidden, Forwarded: false }, "the gateway's block");
        Assert.Equal((HttpStatusCode.Forbidden, "PLATFORM_SUSPENDED", false), await CreateEntityAsync(pid, owner.Token, "second"));
        using (var why = await _p.GetAsync($"/api/v1/platforms/{pid}", owner.Token))
        {
            var platform = await why.AssertStatusAsync(HttpStatusCode.OK);
            Assert.Equal("suspended", platform.GetProperty("status").GetString());
            Assert.Equal("unpaid invoice", platform.GetProperty("suspensionReason").GetString());
        }

        using (var again = await AsOperator(HttpMethod.Post, $"/api/v1/platforms/{pid}/suspend", new { reason = "twice" }))
        {
            var error = await again.AssertErrorAsync(HttpStatusCode.Conflict, "INVALID_TRANSITION");
            Assert.Equal("suspended", error.GetProperty("details").GetProperty("currentStatus").GetString());
        }

        using (var restored = await AsOperator(HttpMethod.Post, $"/api/v1/platforms/{pid}/restore", new { reason = "paid" }))
        {
            Assert.Equal("active", (await restored.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("status").GetString());
        }

        await EventuallyAsync(async () => (await CreateEntityAsync(pid, owner.Token, "after-" + Guid.NewGuid().ToString("N")[..6])).Status == HttpStatusCode.Created, "writes after restore");

        using (var restoreActive = await AsOperator(HttpMethod.Post, $"/api/v1/platforms/{pid}/restore", new { reason = "again" }))
        {
            await restoreActive.AssertErrorAsync(HttpStatusCode.Conflict, "INVALID_TRANSITION");
        }

        // The owner cancels (no subscription: effective at once), so resuming is no longer possible; then deletes.
        using (var cancelled = await _p.PostAsync($"/api/v1/platforms/{pid}/cancel", owner.Token, new { reason = "moving on" }))
        {
            Assert.Equal("pending_cancellation", (await cancelled.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("status").GetString());
        }

        using (var resumed = await _p.PostAsync($"/api/v1/platforms/{pid}/resume", owner.Token, new { reason = "changed my mind" }))
        {
            await resumed.AssertErrorAsync(HttpStatusCode.Conflict, "INVALID_TRANSITION");
        }

        using (var deleted = await _p.PostAsync($"/api/v1/platforms/{pid}/delete", owner.Token, new { reason = "done" }))
        {
            Assert.Equal("deleted", (await deleted.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("status").GetString());
        }

        foreach (var action in new[] { "suspend", "restore", "cancel", "resume", "delete" })
        {
            using var illegal = await AsOperator(HttpMethod.Post, $"/api/v1/platforms/{pid}/{action}", new { reason = "after deletion" });
            var error = await illegal.AssertErrorAsync(HttpStatusCode.Conflict, "INVALID_TRANSITION");
            Assert.Equal("deleted", error.GetProperty("details").GetProperty("currentStatus").GetString());
        }

        // The KV says deleted: the owner's writes end at the gateway, and the Registry hides the record from users.
        await EventuallyAsync(async () => (await CreateEntityAsync(pid, owner.Token, "gone-" + Guid.NewGuid().ToString("N")[..6])) is { Code: "PLATFORM_INACTIVE", Forwarded: false }, "the gateway's inactive block");
        using var hidden = await _p.GetAsync($"/api/v1/platforms/{pid}", owner.Token);
        await hidden.AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND", objectNotFound: true);
    }

    [Fact]
    public async Task AnOperatorPagesThrough250Platforms_WithoutDuplicatesOrGaps_WhileMoreAreCreated()
    {
        var ids = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 250), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
            ids.Add(await ImportAsync($"page-{i:D3}", $"usr_page{i:D3}")));

        var seen = new List<string>();
        var concurrent = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            using var page = await AsOperator(HttpMethod.Get, "/api/v1/platforms?limit=20&includeTotal=true" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            var body = await page.AssertStatusAsync(HttpStatusCode.OK);
            seen.AddRange(body.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("id").GetString()!));
            var pagination = body.GetProperty("pagination");
            cursor = pagination.GetProperty("hasMore").GetBoolean() ? pagination.GetProperty("nextCursor").GetString() : null;
            if (pages++ % 3 == 0)
            {
                // Inserted while paging: newer than everything listed, so they may appear at the end but never twice.
                concurrent.Add(await ImportAsync($"late-{pages:D3}", $"usr_late{pages:D3}"));
            }
        }
        while (cursor is not null);

        Assert.Equal(seen.Count, seen.Distinct(StringComparer.Ordinal).Count());
        Assert.Empty(ids.Except(seen, StringComparer.Ordinal));
        Assert.Empty(seen.Except(ids.Concat(concurrent), StringComparer.Ordinal));
        Assert.True(pages >= 13, $"{pages} pages for {seen.Count} platforms");
    }
}
