using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Registry.Tests.Support;

namespace Nno.Registry.Tests.Objects;

/// <summary>registry.md §7 tests 39, 40 and the metadata part of 41: Provisioning's reports.</summary>
public sealed class ReportRouteTests(SharedRegistry shared) : IClassFixture<SharedRegistry>
{
    private RegistryHost Host => shared.Host;

    private static string PathOf(SeededPlatform p, string rest) => $"{RegistryApi.Platforms}/{p.Id}/{rest}";

    private static object Resource(SeededPlatform p, string cfName, string environment = "prod", string type = "kv", string logicalName = "kv", string stackId = "", string status = "provisioning") =>
        new { stackId = stackId.Length == 0 ? p.StackId : stackId, type, logicalName, cfName, environment, status };

    [Fact]
    public async Task A_resource_reported_twice_is_created_then_updated_as_one_row_with_audit_entries()
    {
        var p = await Host.SeedPlatformAsync("res-upsert");
        using var provisioning = await Host.ProvisioningAsync();
        var cfName = $"{p.Id}-{p.StackId}-kv";
        using var first = await provisioning.PostJsonAsync(PathOf(p, "resources"), Resource(p, cfName));
        var created = await first.ExpectAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;
        Assert.StartsWith("res_", id, StringComparison.Ordinal);
        Assert.Equal($"{RegistryApi.Platforms}/{p.Id}/resources/{id}", first.Headers.Location!.OriginalString);

        using var second = await provisioning.PostJsonAsync(PathOf(p, "resources"),
            new { stackId = p.StackId, type = "kv", logicalName = "kv", cfName, environment = "prod", status = "active", cfResourceId = "0123456789abcdef0123456789abcdef" });
        var updated = await second.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(id, updated.GetProperty("id").GetString());
        Assert.Equal("active", updated.GetProperty("status").GetString());
        Assert.Equal(1, await Host.WithDbAsync(db => db.Resources.CountAsync(r => r.PlatformId == p.Id && r.CfName == cfName)));

        var actions = await Host.WithDbAsync(db => db.AuditLog.Where(a => a.TargetId == id).OrderBy(a => a.CreatedAt).Select(a => new { a.Action, a.ActorId }).ToListAsync());
        Assert.Equal(2, actions.Count);
        Assert.All(actions, a => Assert.Equal(("resource.reported", "svc:provisioning"), (a.Action, a.ActorId)));

        // The same stack in stg needs -stg; the portal exception is exact.
        using var stg = await provisioning.PostJsonAsync(PathOf(p, "resources"), Resource(p, cfName + "-stg", "stg"));
        await stg.ExpectAsync(HttpStatusCode.Created);
        using var portal = await provisioning.PostJsonAsync(PathOf(p, "resources"), Resource(p, $"{p.Id}-stg-portal", "stg", "pages", "portal", "default"));
        await portal.ExpectAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Resource_names_off_the_cfName_rule_and_unknown_references_are_400_and_store_nothing()
    {
        var p = await Host.SeedPlatformAsync("res-rules");
        var other = await Host.SeedPlatformAsync("res-other");
        using var provisioning = await Host.ProvisioningAsync();
        var bad = new (object Body, string Field)[]
        {
            (Resource(p, $"xxxxxxxxxx-{p.StackId}-kv"), "cfName"),                              // not this platform
            (Resource(p, $"{p.Id}-{p.StackId}-" + new string('k', 63)), "cfName"),             // over 63 characters
            (Resource(p, $"{p.Id}-{p.StackId}-kv", "stg"), "cfName"),                           // stg without -stg
            (Resource(p, $"{p.Id}-{p.StackId}-kv", "dev"), "cfName"),                           // dev without -dev
            (Resource(p, $"{p.Id}-{p.StackId}-kv-stg"), "cfName"),                              // prod with -stg
            (Resource(p, $"{p.Id}-default-kv", stackId: p.StackId), "cfName"),                  // another stack's prefix
            (Resource(p, $"{p.Id}-default-portal", "prod", "pages", "portal", "default"), "cfName"), // the portal is exactly {pid}-{env}-portal
            (Resource(p, $"{p.Id}-{other.StackId}-kv", stackId: other.StackId), "stackId"),     // another platform's stack
            (new { stackId = p.StackId, type = "kv", logicalName = "kv", cfName = $"{p.Id}-{p.StackId}-kv2", environment = "prod", status = "active", entityId = other.EntityId }, "entityId"),
            (new { stackId = p.StackId, type = "blob", logicalName = "kv", cfName = $"{p.Id}-{p.StackId}-kv3", environment = "prod", status = "active" }, "type"),
            (new { stackId = p.StackId, type = "kv", logicalName = "KV", cfName = $"{p.Id}-{p.StackId}-kv4", environment = "prod", status = "active" }, "logicalName"),
            (new { stackId = p.StackId, type = "kv", logicalName = "kv", cfName = $"{p.Id}-{p.StackId}-kv5", environment = "prod", status = "active", provisionJobId = "job-1" }, "provisionJobId"),
            (new { stackId = p.StackId, type = "kv", logicalName = "kv", environment = "prod", status = "active" }, "cfName"),
        };
        var before = await Host.WithDbAsync(db => db.Resources.CountAsync(r => r.PlatformId == p.Id));
        foreach (var (body, field) in bad)
        {
            using var response = await provisioning.PostJsonAsync(PathOf(p, "resources"), body);
            var error = await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
            Assert.True(error.GetProperty("error").GetProperty("details").GetProperty("fields").TryGetProperty(field, out _), $"{field}: {error}");
        }

        Assert.Equal(before, await Host.WithDbAsync(db => db.Resources.CountAsync(r => r.PlatformId == p.Id)));
    }

    [Fact]
    public async Task Resource_transitions_follow_the_table_and_deleted_is_final()
    {
        var p = await Host.SeedPlatformAsync("res-patch");
        using var provisioning = await Host.ProvisioningAsync();
        var path = PathOf(p, $"resources/{p.ResourceId}");

        using var illegal = await provisioning.PatchJsonAsync(path, new { status = "provisioning" });
        var refused = await illegal.ExpectErrorAsync(HttpStatusCode.Conflict, "INVALID_TRANSITION");
        Assert.Equal("active", refused.GetProperty("error").GetProperty("details").GetProperty("currentStatus").GetString());

        foreach (var status in new[] { "deleting", "deleted" })
        {
            using var step = await provisioning.PatchJsonAsync(path, new { status });
            Assert.Equal(status, (await step.ExpectAsync(HttpStatusCode.OK)).GetProperty("status").GetString());
        }

        Assert.NotNull((await Host.WithDbAsync(db => db.Resources.SingleAsync(r => r.Id == p.ResourceId))).DeletedAt);
        foreach (var body in new object[] { new { status = "active" }, new { status = "deleted" }, new { status = "failed" }, new { cfResourceId = "abc" } })
        {
            using var late = await provisioning.PatchJsonAsync(path, body);
            await late.ExpectErrorAsync(HttpStatusCode.Conflict, "INVALID_TRANSITION");
        }

        using var empty = await provisioning.PatchJsonAsync(path, new { });
        await empty.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");

        // The deleted name is free again: a new report creates a new row.
        var cfName = $"{p.Id}-{p.StackId}-db";
        using var again = await provisioning.PostJsonAsync(PathOf(p, "resources"), new { stackId = p.StackId, type = "d1", logicalName = "db", cfName, environment = "prod", status = "pending" });
        Assert.NotEqual(p.ResourceId, (await again.ExpectAsync(HttpStatusCode.Created)).GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_hostname_live_on_another_platform_is_409_until_it_is_deleted()
    {
        var a = await Host.SeedPlatformAsync("dns-a");
        var b = await Host.SeedPlatformAsync("dns-b");
        using var provisioning = await Host.ProvisioningAsync();
        var domain = $"shop-{ObjectSeeds.NewId()}.example.com";
        object Custom(SeededPlatform p) => new { hostname = domain, environment = "prod", recordType = "custom_domain", target = $"team.svc.{p.StackId}.{p.Id}.nno.run" };

        using var created = await provisioning.PostJsonAsync(PathOf(a, "dns-records"), Custom(a));
        var record = await created.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal("pending", record.GetProperty("sslStatus").GetString());
        using var repeat = await provisioning.PostJsonAsync(PathOf(a, "dns-records"), Custom(a));
        await repeat.ExpectAsync(HttpStatusCode.OK);

        using var taken = await provisioning.PostJsonAsync(PathOf(b, "dns-records"), Custom(b));
        await taken.ExpectErrorAsync(HttpStatusCode.Conflict, "CONFLICT");

        var id = record.GetProperty("id").GetString()!;
        using var active = await provisioning.PatchJsonAsync(PathOf(a, $"dns-records/{id}"), new { sslStatus = "active" });
        var activated = await active.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("active", activated.GetProperty("sslStatus").GetString());
        Assert.NotEqual(JsonValueKind.Null, activated.GetProperty("activatedAt").ValueKind);
        using var illegal = await provisioning.PatchJsonAsync(PathOf(a, $"dns-records/{id}"), new { sslStatus = "failed" });
        await illegal.ExpectErrorAsync(HttpStatusCode.Conflict, "INVALID_TRANSITION");

        using var deleted = await provisioning.DeleteAsync(PathOf(a, $"dns-records/{id}"));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var deletedAgain = await provisioning.DeleteAsync(PathOf(a, $"dns-records/{id}"));
        Assert.Equal(HttpStatusCode.NoContent, deletedAgain.StatusCode);
        using var reused = await provisioning.PostJsonAsync(PathOf(b, "dns-records"), Custom(b));
        await reused.ExpectAsync(HttpStatusCode.Created);

        // The deleted record stays readable; the list shows live records only.
        using var op = Host.Operator();
        using var read = await op.GetAsync(PathOf(a, $"dns-records/{id}"));
        Assert.NotEqual(JsonValueKind.Null, (await read.ExpectAsync(HttpStatusCode.OK)).GetProperty("deletedAt").ValueKind);
        using var list = await op.GetAsync(PathOf(a, $"dns-records?hostname={domain}"));
        Assert.Equal(0, (await list.ExpectAsync(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Nno_hostnames_must_have_the_platform_shape_and_customer_domains_stay_off_reserved_domains()
    {
        var p = await Host.SeedPlatformAsync("dns-shape");
        using var provisioning = await Host.ProvisioningAsync();
        var good = $"team.svc.stg.{p.StackId}.{p.Id}.nno.run";
        // resourceId (the Worker the hostname points at) is stored and read back; another platform's resource is "not found".
        var other = await Host.SeedPlatformAsync("dns-shape-other");
        using var foreign = await provisioning.PostJsonAsync(PathOf(p, "dns-records"),
            new { hostname = good, environment = "stg", recordType = "custom_hostname", target = $"{p.Id}-{p.StackId}-team-stg", resourceId = other.WorkerId });
        var foreignError = await foreign.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.True(foreignError.GetProperty("error").GetProperty("details").GetProperty("fields").TryGetProperty("resourceId", out _), foreignError.ToString());
        using var ok = await provisioning.PostJsonAsync(PathOf(p, "dns-records"),
            new { hostname = good, environment = "stg", recordType = "custom_hostname", target = $"{p.Id}-{p.StackId}-team-stg", resourceId = p.WorkerId });
        var record = await ok.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal(p.StackId, record.GetProperty("stackId").GetString());
        Assert.Equal(p.WorkerId, record.GetProperty("resourceId").GetString());
        using var op = Host.Operator();
        using var read = await op.GetAsync(PathOf(p, $"dns-records/{record.GetProperty("id").GetString()}"));
        Assert.Equal(p.WorkerId, (await read.ExpectAsync(HttpStatusCode.OK)).GetProperty("resourceId").GetString());

        var bad = new (string Hostname, string Environment, string RecordType)[]
        {
            ($"team.svc.{p.StackId}.{p.Id}.nno.run", "stg", "custom_hostname"),        // stg without .stg
            ($"team.svc.stg.{p.StackId}.{p.Id}.nno.run", "prod", "custom_hostname"),   // prod with .stg
            ($"team.svc.{p.StackId}.xxxxxxxxxx.nno.run", "prod", "custom_hostname"),   // another platform id
            ($"svc.{p.StackId}.{p.Id}.nno.run", "prod", "custom_hostname"),            // no name label
            ($"a.b.team.svc.{p.StackId}.{p.Id}.nno.run", "prod", "custom_hostname"),   // extra labels
            ($"team.svc.{p.StackId}.{p.Id}.nno.app", "prod", "custom_hostname"),       // core domain
            ($"auth.svc.nno.app", "prod", "custom_domain"),                            // customer domain under the core domain
            ($"x.{p.Id}.nno.run", "prod", "custom_domain"),                            // customer domain under the platform domain
            ("Team.example.com", "prod", "custom_domain"),
            ("*.example.com", "prod", "custom_domain"),
            ("192.168.1.10", "prod", "custom_domain"),
            ("localhost", "prod", "custom_domain"),
            ("xn--zz.example.com", "prod", "custom_domain"),
            ("bücher.example.com", "prod", "custom_domain"),
            ("-a.example.com", "prod", "custom_domain"),
            (new string('a', 64) + ".example.com", "prod", "custom_domain"),
        };
        foreach (var (hostname, environment, recordType) in bad)
        {
            using var response = await provisioning.PostJsonAsync(PathOf(p, "dns-records"), new { hostname, environment, recordType, target = "target.example.com" });
            var error = await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
            Assert.True(error.GetProperty("error").GetProperty("details").GetProperty("fields").TryGetProperty("hostname", out _), $"{hostname}: {error}");
        }

        using var punycode = await provisioning.PostJsonAsync(PathOf(p, "dns-records"),
            new { hostname = $"xn--bcher-kva.{ObjectSeeds.NewId()}.example.org", environment = "prod", recordType = "custom_domain", target = "target.example.com" });
        await punycode.ExpectAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Secret_metadata_with_a_value_anywhere_is_400_and_nothing_is_stored_or_echoed()
    {
        var p = await Host.SeedPlatformAsync("secret-meta");
        using var provisioning = await Host.ProvisioningAsync();
        var path = PathOf(p, $"resources/{p.WorkerId}/secrets/API_TOKEN");
        const string leaked = "sk_live_do-not-store-4f9a";
        var bodies = new[]
        {
            $$"""{"status":"set","value":"{{leaked}}"}""",
            $$$"""{"status":"set","meta":{"nested":[{"Secret":"{{{leaked}}}"}]}}""",
            $$"""{"status":"set","PlainText":"{{leaked}}"}""",
            $$"""{"value":"{{leaked}}"}""",
        };
        foreach (var body in bodies)
        {
            using var response = await provisioning.PutRawAsync(path, body);
            var error = await response.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
            Assert.DoesNotContain(leaked, error.ToString(), StringComparison.Ordinal);
        }

        Assert.Equal(0, await Host.WithDbAsync(db => db.Secrets.CountAsync(s => s.ResourceId == p.WorkerId && s.Name == "API_TOKEN")));

        using var created = await provisioning.PutJsonAsync(path, new { status = "set", lastSetAt = "2026-01-01T00:00:00Z" });
        var first = await created.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal((1, "set", "system"), (first.GetProperty("version").GetInt32(), first.GetProperty("status").GetString(), first.GetProperty("source").GetString()));
        using var again = await provisioning.PutJsonAsync(path, new { status = "set" });
        Assert.Equal(2, (await again.ExpectAsync(HttpStatusCode.OK)).GetProperty("version").GetInt32());

        using var badName = await provisioning.PutJsonAsync(PathOf(p, $"resources/{p.WorkerId}/secrets/api_token"), new { status = "set" });
        await badName.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        using var badStatus = await provisioning.PutJsonAsync(path, new { status = "deleted" });
        await badStatus.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");

        using var removed = await provisioning.DeleteAsync(path);
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        using var unknown = await provisioning.DeleteAsync(PathOf(p, $"resources/{p.WorkerId}/secrets/NEVER_SET"));
        Assert.Equal("secret", (await unknown.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND")).GetProperty("error").GetProperty("details").GetProperty("resource").GetString());

        using var owner = Host.User(p.OwnerId, (p.Id, "owner"));
        using var list = await owner.GetAsync(PathOf(p, $"secrets?resourceId={p.WorkerId}"));
        var items = (await list.ExpectAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray().ToList();
        Assert.Contains(items, s => s.GetProperty("name").GetString() == "API_TOKEN" && s.GetProperty("status").GetString() == "deleted");
        Assert.All(items, s => Assert.All(s.EnumerateObject(), f => Assert.DoesNotContain(f.Name, new[] { "value", "secret", "plaintext", "hash", "fingerprint" })));

        // The value appears nowhere: not in the database file, the audit log or the logs.
        var audit = await Host.WithDbAsync(db => db.AuditLog.Where(a => a.PlatformId == p.Id).Select(a => a.Details).ToListAsync());
        Assert.DoesNotContain(audit, d => d.Contains(leaked, StringComparison.Ordinal));
        Assert.Contains(await Host.WithDbAsync(db => db.AuditLog.Where(a => a.PlatformId == p.Id).Select(a => a.Action).ToListAsync()), a => a == "secret.set");
        Assert.DoesNotContain(Host.Logs.Lines, l => l.Contains(leaked, StringComparison.Ordinal));
        using (var raw = Host.OpenRawConnection())
        {
            using var checkpoint = raw.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(FULL);";
            checkpoint.ExecuteNonQuery();
        }

        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(Host.DatabaseFile)!, Path.GetFileName(Host.DatabaseFile) + "*"))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.Equal(-1, bytes.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(leaked)));
        }
    }

    [Fact]
    public async Task Custom_domain_reports_follow_the_table_and_removed_is_final()
    {
        var p = await Host.SeedPlatformAsync("domain-report");
        var other = await Host.SeedPlatformAsync("domain-other");
        using var provisioning = await Host.ProvisioningAsync();
        var path = PathOf(p, $"custom-domains/{p.CustomDomainId}");

        using var foreignDns = await provisioning.PatchJsonAsync(path, new { dnsRecordId = other.DnsRecordId });
        await foreignDns.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        using var badRecords = await provisioning.PatchJsonAsync(path, new { verificationRecords = new[] { new { type = "A", name = "x.example.com", value = "1" } } });
        await badRecords.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");

        using var active = await provisioning.PatchJsonAsync(path, new
        {
            status = "active", sslStatus = "active", dnsRecordId = p.DnsRecordId,
            verificationRecords = new[] { new { type = "TXT", name = "_cf-custom-hostname.shop.example.com", value = "abc-123" } },
        });
        var domain = await active.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(("active", p.DnsRecordId), (domain.GetProperty("status").GetString(), domain.GetProperty("dnsRecordId").GetString()));
        Assert.Equal("abc-123", domain.GetProperty("verificationRecords")[0].GetProperty("value").GetString());

        using var skip = await provisioning.PatchJsonAsync(path, new { status = "removed" });
        await skip.ExpectErrorAsync(HttpStatusCode.Conflict, "INVALID_TRANSITION");
        foreach (var status in new[] { "removing", "removed" })
        {
            using var step = await provisioning.PatchJsonAsync(path, new { status });
            await step.ExpectAsync(HttpStatusCode.OK);
        }

        using var late = await provisioning.PatchJsonAsync(path, new { status = "removed" });
        await late.ExpectErrorAsync(HttpStatusCode.Conflict, "INVALID_TRANSITION");
        Assert.Contains("custom_domain.updated", await Host.WithDbAsync(db => db.AuditLog.Where(a => a.TargetId == p.CustomDomainId).Select(a => a.Action).ToListAsync()));
    }

    [Fact]
    public async Task Reports_reach_a_deleted_platform_but_its_owner_no_longer_reads_it()
    {
        var p = await Host.SeedPlatformAsync("deleted-platform");
        await Host.SetStatusAsync(p.Id, "deleted");
        using var provisioning = await Host.ProvisioningAsync();
        using var report = await provisioning.PatchJsonAsync(PathOf(p, $"resources/{p.ResourceId}"), new { status = "deleting" });
        await report.ExpectAsync(HttpStatusCode.OK);
        using var owner = Host.User(p.OwnerId, (p.Id, "owner"));
        using var read = await owner.GetAsync(PathOf(p, "resources"));
        Assert.Equal("platform", (await read.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND")).GetProperty("error").GetProperty("details").GetProperty("resource").GetString());
    }
}
