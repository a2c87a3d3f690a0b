using System.Text.Json;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Tests.Support;

namespace Nno.Provisioning.Tests.Domains;

/// <summary>ADD/REMOVE_CUSTOM_DOMAIN and the SSL poller against the Cloudflare emulator (provisioning.md §7 item 16, §4.5).</summary>
public sealed class CustomDomainJobTests
{
    [Fact]
    public async Task AddReportsVerificationRecords_AttachesTheRoute_PollerReportsActive_AndRemoveTakesItAway()
    {
        await using var cf = await CloudflareHost.StartAsync(new Dictionary<string, string?> { ["Provisioning:SslPollSeconds"] = "1" });
        const string pid = "cd11111111";
        const string cdid = "dom_abcdefgh12345678";
        const string domain = "shop.example.com";
        await cf.ProvisionAsync(pid);
        await cf.RunAsync("/api/v1/provision/feature/activate", new { platformId = pid, entityId = "eeeeeeeeee", featureId = "team", featureVersion = "1.0.0", environment = "prod" });
        var target = $"team.svc.default.{pid}.nno.run";

        var add = await cf.RunAsync("/api/v1/provision/custom-domain/add", new { platformId = pid, customDomainId = cdid, domain, targetHostname = target });

        var hostname = (await cf.CustomHostnameAsync(domain))!.Value;
        Assert.Equal("txt", hostname.GetProperty("ssl").GetProperty("method").GetString());
        Assert.Equal($"{pid}-default-team", await cf.RouteScriptAsync(domain + "/*"));
        Assert.Equal<string>(["COMPLETED", "COMPLETED"], (await cf.StepsAsync(add)).Select(s => s.Status).ToArray());
        await cf.UntilRegistryAsync(calls => calls.Any(c => c.Method == "PATCH" && c.Path.EndsWith("/custom-domains/" + cdid, StringComparison.Ordinal)), "custom domain report");
        var pending = cf.Registry.Calls.First(c => c.Method == "PATCH" && c.Path == $"/api/v1/platforms/{pid}/custom-domains/{cdid}");
        using (var body = JsonDocument.Parse(pending.Body!))
        {
            Assert.Equal("pending", body.RootElement.GetProperty("status").GetString());
            var records = body.RootElement.GetProperty("verificationRecords").EnumerateArray().ToList();
            Assert.Contains(records, r => r.GetProperty("type").GetString() == "TXT" && r.GetProperty("name").GetString() == "_cf-custom-hostname." + domain);
            Assert.Contains(records, r => r.GetProperty("type").GetString() == "TXT" && r.GetProperty("name").GetString() == "_acme-challenge." + domain);
        }

        var dns = Assert.Single(cf.Registry.Calls, c => c.Path.EndsWith("/dns-records", StringComparison.Ordinal) && c.Body!.Contains(domain, StringComparison.Ordinal));
        using (var body = JsonDocument.Parse(dns.Body!))
        {
            Assert.Equal("custom_domain", body.RootElement.GetProperty("recordType").GetString());
            Assert.Equal(target, body.RootElement.GetProperty("target").GetString());
            // A customer domain points at a hostname, not a resource.
            Assert.True(!body.RootElement.TryGetProperty("resourceId", out var none) || none.ValueKind == JsonValueKind.Null, dns.Body);
        }

        // The PATCH names the DNS record the job reported (its Registry id); the feature hostname's record names the feature Worker.
        var ledgerRows = await cf.LedgerAsync(pid);
        var dnsRecordId = ledgerRows.Single(r => r.Kind == "custom_hostname" && r.Name == domain).RegistryId;
        Assert.NotNull(dnsRecordId);
        using (var body = JsonDocument.Parse(pending.Body!))
        {
            Assert.Equal(dnsRecordId, body.RootElement.GetProperty("dnsRecordId").GetString());
        }

        var featureDns = Assert.Single(cf.Registry.Calls, c => c.Path.EndsWith("/dns-records", StringComparison.Ordinal) && c.Body!.Contains($"\"hostname\":\"{target}\"", StringComparison.Ordinal));
        var featureWorkerId = ledgerRows.Single(r => r.Kind == "worker" && r.Name == $"{pid}-default-team").RegistryId;
        Assert.NotNull(featureWorkerId);
        using (var body = JsonDocument.Parse(featureDns.Body!))
        {
            Assert.Equal(featureWorkerId, body.RootElement.GetProperty("resourceId").GetString());
        }

        // After the emulator's SSL delay the poller sees the certificate active and tells the Registry.
        await cf.UntilRegistryAsync(
            calls => calls.Any(c => c.Method == "PATCH" && c.Path.EndsWith("/custom-domains/" + cdid, StringComparison.Ordinal) && c.Body!.Contains("\"status\":\"active\"", StringComparison.Ordinal)),
            "custom domain reported active");
        Assert.Contains(cf.Registry.Calls, c => c.Method == "PATCH" && c.Path.Contains("/dns-records/", StringComparison.Ordinal) && c.Body!.Contains("\"sslStatus\":\"active\"", StringComparison.Ordinal));
        var ledger = await cf.LedgerAsync(pid);
        Assert.Equal("active", ledger.Single(r => r.Kind == "custom_hostname" && r.Name == domain).SslStatus);

        var remove = await cf.RunAsync("/api/v1/provision/custom-domain/remove", new { platformId = pid, customDomainId = cdid });

        Assert.Null(await cf.CustomHostnameAsync(domain));
        Assert.Null(await cf.RouteScriptAsync(domain + "/*"));
        Assert.Equal($"{pid}-default-team", await cf.RouteScriptAsync(target + "/*"));
        Assert.Equal<string>(["COMPLETED", "COMPLETED"], (await cf.StepsAsync(remove)).Select(s => s.Status).ToArray());
        await cf.UntilRegistryAsync(calls => calls.Any(c => c.Method == "PATCH" && c.Body is { } b && b.Contains("\"status\":\"removed\"", StringComparison.Ordinal)), "removed report");
        await cf.UntilRegistryAsync(calls => calls.Count(c => c.Method == "DELETE" && c.Path.Contains("/dns-records/", StringComparison.Ordinal)) == 1, "DNS record deleted");
    }

    [Fact]
    public async Task SslPoller_LeavesActiveHostnamesAlone_AndFailsOnesPendingFor24Hours()
    {
        await using var cf = await CloudflareHost.StartAsync(new Dictionary<string, string?> { ["Provisioning:SslPollSeconds"] = "1" });
        const string pid = "cd22222222";
        await cf.ProvisionAsync(pid);
        // Certificates never validate: the poller must give up after a day, not poll forever.
        await cf.SetFaultsAsync(new { sslActivationDelaySeconds = 1_000_000 });
        await cf.RunAsync("/api/v1/provision/feature/activate", new { platformId = pid, entityId = "eeeeeeeeee", featureId = "team", featureVersion = "1.0.0", environment = "prod" });
        var hostname = $"team.svc.default.{pid}.nno.run";
        Assert.Equal("pending", (await cf.LedgerAsync(pid)).Single(r => r.Name == hostname).SslStatus);

        cf.Time.Advance(TimeSpan.FromHours(24));
        await cf.Host.UntilAsync(async () => (await cf.LedgerAsync(pid)).Single(r => r.Name == hostname).SslStatus == "failed", "hostname failed");

        await cf.UntilRegistryAsync(
            calls => calls.Any(c => c.Method == "PATCH" && c.Path.Contains("/dns-records/", StringComparison.Ordinal) && c.Body!.Contains("\"sslStatus\":\"failed\"", StringComparison.Ordinal)),
            "failed reported");
        var gets = (await cf.RequestsAsync()).Count(r => r.Method == "GET" && r.Path.Contains("/custom_hostnames/", StringComparison.Ordinal));
        cf.Time.Advance(TimeSpan.FromSeconds(10));
        await Task.Delay(200);
        Assert.Equal(gets, (await cf.RequestsAsync()).Count(r => r.Method == "GET" && r.Path.Contains("/custom_hostnames/", StringComparison.Ordinal)));
    }
}
