using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Nno.Sandbox.Tests.Analytics;

public sealed class AnalyticsApiTests(AreaSandbox fixture) : IClassFixture<AreaSandbox>
{
    private HttpClient Api => fixture.Api;

    private string Today => fixture.Time.GetUtcNow().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private async Task<JsonElement> GraphqlAsync(string query, object? variables = null)
    {
        var response = await Api.PostAsJsonAsync("graphql", new { query, variables });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var root = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal(["data", "errors"], root.EnumerateObject().Select(p => p.Name));
        return root;
    }

    private static JsonElement Account(JsonElement root)
    {
        Assert.True(root.GetProperty("errors").ValueKind == JsonValueKind.Null, root.ToString());
        return root.GetProperty("data").GetProperty("viewer").GetProperty("accounts")[0];
    }

    [Fact]
    public async Task KvCalls_AreCountedPerNamespaceAndDate()
    {
        var ns = (await fixture.PostOkAsync(AreaSandbox.Account("storage/kv/namespaces"), new { title = "analytics-kv" })).GetProperty("id").GetString()!;
        await AreaSandbox.OkAsync(await Api.PutAsync(AreaSandbox.Account($"storage/kv/namespaces/{ns}/values/a"), new StringContent("1")));
        await AreaSandbox.OkAsync(await Api.PutAsync(AreaSandbox.Account($"storage/kv/namespaces/{ns}/values/b"), new StringContent("2")));
        _ = await Api.GetStringAsync(AreaSandbox.Account($"storage/kv/namespaces/{ns}/values/a"));

        var root = await GraphqlAsync("""
            query Kv($account: string!, $ns: string!) {
              viewer { accounts(filter: {accountTag: $account}) {
                kv: kvOperationsAdaptiveGroups(limit: 10, filter: {namespaceId: $ns}) { sum { requests } dimensions { date namespaceId } }
              } }
            }
            """, new { account = AreaSandbox.AccountId, ns });
        var group = Assert.Single(Account(root).GetProperty("kv").EnumerateArray());
        Assert.Equal(3, group.GetProperty("sum").GetProperty("requests").GetInt64());
        Assert.Equal(Today, group.GetProperty("dimensions").GetProperty("date").GetString());
        Assert.Equal(ns, group.GetProperty("dimensions").GetProperty("namespaceId").GetString());
    }

    [Fact]
    public async Task InjectedUsage_IsFilteredByDateOrderedAndLimited()
    {
        foreach (var (date, value) in new[] { ("2026-02-01", 10), ("2026-02-02", 20), ("2026-02-03", 30), ("2026-02-10", 99) })
        {
            (await fixture.Admin.PostAsJsonAsync("usage", new { date, dataset = "workersInvocationsAdaptive", dimension = "p1-s1-billing", metric = "requests", value }))
                .EnsureSuccessStatusCode();
        }

        var query = """
            query ($a: string!, $from: Date, $to: Date) {
              viewer { accounts(filter: {accountTag: $a}) {
                workersInvocationsAdaptive(limit: LIMIT, filter: {date_geq: $from, date_leq: $to, scriptName: "p1-s1-billing"}, orderBy: [date_DESC]) {
                  dimensions { date }
                  sum { requests }
                }
              } }
            }
            """;
        var all = Account(await GraphqlAsync(query.Replace("LIMIT", "100", StringComparison.Ordinal), new { a = AreaSandbox.AccountId, from = "2026-02-01", to = "2026-02-03" }));
        Assert.Equal([30L, 20L, 10L], all.GetProperty("workersInvocationsAdaptive").EnumerateArray().Select(g => g.GetProperty("sum").GetProperty("requests").GetInt64()));
        var limited = Account(await GraphqlAsync(query.Replace("LIMIT", "1", StringComparison.Ordinal), new { a = AreaSandbox.AccountId, from = "2026-02-01", to = "2026-02-03" }));
        Assert.Equal("2026-02-03", Assert.Single(limited.GetProperty("workersInvocationsAdaptive").EnumerateArray()).GetProperty("dimensions").GetProperty("date").GetString());

        var total = Account(await GraphqlAsync($$"""
            { viewer { accounts(filter: {accountTag: "{{AreaSandbox.AccountId}}"}) {
                workersInvocationsAdaptive(limit: 10, filter: {date_geq: "2026-02-01", date_leq: "2026-02-28"}) { sum { requests } }
            } } }
            """));
        Assert.Equal(159, Assert.Single(total.GetProperty("workersInvocationsAdaptive").EnumerateArray()).GetProperty("sum").GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task R2Storage_ReportsTodaysObjectsAndBytes_AndOperationsCount()
    {
        await fixture.PostOkAsync(AreaSandbox.Account("r2/buckets"), new { name = "analytics-bucket" });
        await AreaSandbox.OkAsync(await Api.PutAsync(AreaSandbox.Account("r2/buckets/analytics-bucket/objects/a"), new StringContent("12345")));
        await AreaSandbox.OkAsync(await Api.PutAsync(AreaSandbox.Account("r2/buckets/analytics-bucket/objects/b"), new StringContent("678")));

        var account = Account(await GraphqlAsync($$"""
            { viewer { accounts(filter: {accountTag: "{{AreaSandbox.AccountId}}"}) {
                r2StorageAdaptiveGroups(limit: 10, filter: {bucketName: "analytics-bucket"}) { max { objectCount payloadSize } dimensions { bucketName } }
                r2OperationsAdaptiveGroups(limit: 10, filter: {bucketName: "analytics-bucket", date: "{{Today}}"}) { sum { requests } }
            } } }
            """));
        var storage = Assert.Single(account.GetProperty("r2StorageAdaptiveGroups").EnumerateArray()).GetProperty("max");
        Assert.Equal(2, storage.GetProperty("objectCount").GetInt64());
        Assert.Equal(8, storage.GetProperty("payloadSize").GetInt64());
        Assert.Equal(2, Assert.Single(account.GetProperty("r2OperationsAdaptiveGroups").EnumerateArray()).GetProperty("sum").GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task D1Queries_CountRowsWritten()
    {
        var db = (await fixture.PostOkAsync(AreaSandbox.Account("d1/database"), new { name = "analytics-db" })).GetProperty("uuid").GetString()!;
        await fixture.PostOkAsync(AreaSandbox.Account($"d1/database/{db}/query"), new { sql = "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3);" });

        var account = Account(await GraphqlAsync($$"""
            { viewer { accounts(filter: {accountTag: "{{AreaSandbox.AccountId}}"}) {
                d1AnalyticsAdaptiveGroups(limit: 10, filter: {databaseId: "{{db}}"}) { sum { rowsWritten writeQueries } }
            } } }
            """));
        var sum = Assert.Single(account.GetProperty("d1AnalyticsAdaptiveGroups").EnumerateArray()).GetProperty("sum");
        Assert.True(sum.GetProperty("rowsWritten").GetInt64() >= 3, sum.ToString());
    }

    [Theory]
    [InlineData("{ viewer { zones { x } } }")]
    [InlineData("mutation { viewer { accounts { x } } }")]
    [InlineData("{ viewer { accounts(filter: {accountTag: \"ffffffffffffffffffffffffffffffff\"}) { kvOperationsAdaptiveGroups(limit: 1) { sum { requests } } } } }")]
    [InlineData("{ viewer { accounts(filter: {accountTag: \"0123456789abcdef0123456789abcdef\"}) { httpRequests1dGroups(limit: 1) { sum { requests } } } } }")]
    [InlineData("{ viewer { accounts(filter: {accountTag: \"0123456789abcdef0123456789abcdef\"}) { kvOperationsAdaptiveGroups(limit: 1, filter: {datetime_geq: \"x\"}) { sum { requests } } } } }")]
    [InlineData("{ viewer { accounts(filter: {accountTag: \"0123456789abcdef0123456789abcdef\"}) { kvOperationsAdaptiveGroups(limit: 1) { sum { bytes } } } } }")]
    [InlineData("{ viewer { accounts(filter: {accountTag: \"0123456789abcdef0123456789abcdef\"}) { ...F } } }")]
    [InlineData("{ viewer ")]
    public async Task AnythingElse_IsAGraphqlErrorWithoutData(string query)
    {
        var root = await GraphqlAsync(query);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("data").ValueKind);
        Assert.NotEmpty(root.GetProperty("errors")[0].GetProperty("message").GetString()!);
    }

    [Fact]
    public async Task MalformedBody_Is400WithErrors_AndNoTokenIs403()
    {
        var response = await Api.PostAsync("graphql", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotEqual(JsonValueKind.Null, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").ValueKind);
        var anonymous = await fixture.Sandbox.ApiClient(token: null).PostAsJsonAsync("graphql", new { query = "{ viewer { accounts { x } } }" });
        Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
    }
}
