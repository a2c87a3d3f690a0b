using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Nno.Sandbox.Tests.Queues;

public sealed class QueuesApiTests(AreaSandbox fixture) : IClassFixture<AreaSandbox>
{
    private HttpClient Api => fixture.Api;

    private async Task<string> NewQueueAsync(string name) =>
        (await fixture.PostOkAsync(AreaSandbox.Account("queues"), new { queue_name = name })).GetProperty("queue_id").GetString()!;

    private async Task<JsonElement[]> PullAsync(string id, int visibilityMs, int batchSize = 10) =>
        (await fixture.PostOkAsync(AreaSandbox.Account($"queues/{id}/messages/pull"), new { batch_size = batchSize, visibility_timeout_ms = visibilityMs }))
            .GetProperty("messages").EnumerateArray().ToArray();

    [Fact]
    public async Task CreateGetListDelete_ShowTheSpecShape_DuplicateIs409()
    {
        var id = await NewQueueAsync("shape-queue");
        var queue = await AreaSandbox.OkAsync(await Api.GetAsync(AreaSandbox.Account($"queues/{id}")));
        Assert.Equal("shape-queue", queue.GetProperty("queue_name").GetString());
        Assert.Equal(
            ["created_on", "modified_on", "queue_id", "queue_name"],
            queue.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        await AreaSandbox.ErrorAsync(await Api.PostAsJsonAsync(AreaSandbox.Account("queues"), new { queue_name = "shape-queue" }), HttpStatusCode.Conflict);

        var list = await AreaSandbox.EnvelopeAsync(await Api.GetAsync(AreaSandbox.Account("queues?per_page=100")));
        Assert.Contains(list.GetProperty("result").EnumerateArray(), q => q.GetProperty("queue_id").GetString() == id);

        await AreaSandbox.OkAsync(await Api.DeleteAsync(AreaSandbox.Account($"queues/{id}")));
        await AreaSandbox.ErrorAsync(await Api.GetAsync(AreaSandbox.Account($"queues/{id}")), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Pull_LeasesMessages_UntilTheVisibilityTimeoutPasses()
    {
        var id = await NewQueueAsync("lease-queue");
        await fixture.PostOkAsync(AreaSandbox.Account($"queues/{id}/messages"), new { body = new { jobId = "j1" } });
        await fixture.PostOkAsync(AreaSandbox.Account($"queues/{id}/messages"), new { body = "plain", content_type = "text" });

        var first = await PullAsync(id, 5_000);
        Assert.Equal(2, first.Length);
        Assert.Equal("""{"jobId":"j1"}""", first[0].GetProperty("body").GetString());
        Assert.Equal("plain", first[1].GetProperty("body").GetString());
        Assert.All(first, m => Assert.Equal(1, m.GetProperty("attempts").GetInt32()));
        Assert.Empty(await PullAsync(id, 5_000));

        fixture.Time.Advance(TimeSpan.FromSeconds(6));
        var again = await PullAsync(id, 5_000);
        Assert.Equal(2, again.Length);
        Assert.All(again, m => Assert.Equal(2, m.GetProperty("attempts").GetInt32()));
        Assert.NotEqual(first[0].GetProperty("lease_id").GetString(), again[0].GetProperty("lease_id").GetString());
    }

    [Fact]
    public async Task Ack_DeletesAndRetry_RedeliversAfterItsDelay_ExpiredLeasesOnlyWarn()
    {
        var id = await NewQueueAsync("ack-queue");
        for (var i = 0; i < 3; i++)
        {
            await fixture.PostOkAsync(AreaSandbox.Account($"queues/{id}/messages"), new { body = i });
        }

        var leased = await PullAsync(id, 30_000);
        var lease = leased.Select(m => m.GetProperty("lease_id").GetString()!).ToArray();
        var result = await fixture.PostOkAsync(AreaSandbox.Account($"queues/{id}/messages/ack"), new
        {
            acks = new[] { new { lease_id = lease[0] }, new { lease_id = "not-a-lease" } },
            retries = new[] { new { lease_id = lease[1], delay_seconds = 60 } },
        });
        Assert.Equal(1, result.GetProperty("ackCount").GetInt32());
        Assert.Equal(1, result.GetProperty("retryCount").GetInt32());
        Assert.Single(result.GetProperty("warnings").EnumerateArray());

        fixture.Time.Advance(TimeSpan.FromSeconds(31));
        // The third message's lease ran out: acking it now changes nothing.
        var late = await fixture.PostOkAsync(AreaSandbox.Account($"queues/{id}/messages/ack"), new { acks = new[] { new { lease_id = lease[2] } } });
        Assert.Equal(0, late.GetProperty("ackCount").GetInt32());
        Assert.Equal(["2"], (await PullAsync(id, 120_000)).Select(m => m.GetProperty("body").GetString()));

        fixture.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(["1"], (await PullAsync(id, 30_000)).Select(m => m.GetProperty("body").GetString()));
    }

    [Fact]
    public async Task Send_ToAnUnknownQueue_Is404_BadBodiesAre400()
    {
        await AreaSandbox.ErrorAsync(await Api.PostAsJsonAsync(AreaSandbox.Account("queues/0000/messages"), new { body = 1 }), HttpStatusCode.NotFound, 11000);
        var id = await NewQueueAsync("bad-bodies");
        await AreaSandbox.ErrorAsync(await Api.PostAsJsonAsync(AreaSandbox.Account($"queues/{id}/messages"), new { content_type = "json" }), HttpStatusCode.BadRequest);
        await AreaSandbox.ErrorAsync(await Api.PostAsJsonAsync(AreaSandbox.Account($"queues/{id}/messages"), new { body = 1, content_type = "xml" }), HttpStatusCode.BadRequest);
        await AreaSandbox.ErrorAsync(await Api.PostAsJsonAsync(AreaSandbox.Account($"queues/{id}/messages/pull"), new { visibility_timeout_ms = -1 }), HttpStatusCode.BadRequest);
    }
}
