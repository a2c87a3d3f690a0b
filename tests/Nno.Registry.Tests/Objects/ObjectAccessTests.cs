using System.Net;
using Nno.Core.Services;
using Nno.Registry.Tests.Support;

namespace Nno.Registry.Tests.Objects;

/// <summary>registry.md §7 tests 7, 8, 9 and 38 over every id-taking route of §3.6–§3.8 built here.</summary>
public sealed class ObjectAccessTests(SharedRegistry shared) : IClassFixture<SharedRegistry>
{
    private RegistryHost Host => shared.Host;

    /// <summary>The id-taking read routes: (name, path under the platform with B's ids, path with random ids).</summary>
    private static IEnumerable<(string Route, string Path, string Random)> ReadRoutes(SeededPlatform b) =>
    [
        ("stack", $"stacks/{b.StackId}", $"stacks/{ObjectSeeds.NewId()}"),
        ("activation", $"features/{b.ActivationId}", $"features/fa_{ObjectSeeds.NewId(16)}"),
        ("feature secrets", $"features/{b.ActivationId}/secrets", $"features/fa_{ObjectSeeds.NewId(16)}/secrets"),
        ("resource", $"resources/{b.ResourceId}", $"resources/res_{ObjectSeeds.NewId(16)}"),
        ("dns record", $"dns-records/{b.DnsRecordId}", $"dns-records/dns_{ObjectSeeds.NewId(16)}"),
        ("custom domain", $"custom-domains/{b.CustomDomainId}", $"custom-domains/dom_{ObjectSeeds.NewId(16)}"),
    ];

    /// <summary>The internal id-taking routes: (method, path with B's ids, path with random ids, body).</summary>
    private static IEnumerable<(HttpMethod Method, string Path, string Random, object? Body)> InternalIdRoutes(SeededPlatform b)
    {
        var randomRes = $"res_{ObjectSeeds.NewId(16)}";
        return
        [
            (HttpMethod.Patch, $"resources/{b.ResourceId}", $"resources/{randomRes}", new { status = "failed" }),
            (HttpMethod.Put, $"resources/{b.WorkerId}/secrets/{b.SecretName}", $"resources/{randomRes}/secrets/{b.SecretName}", new { status = "set" }),
            (HttpMethod.Delete, $"resources/{b.WorkerId}/secrets/{b.SecretName}", $"resources/{randomRes}/secrets/{b.SecretName}", null),
            (HttpMethod.Patch, $"dns-records/{b.DnsRecordId}", $"dns-records/dns_{ObjectSeeds.NewId(16)}", new { sslStatus = "active" }),
            (HttpMethod.Delete, $"dns-records/{b.DnsRecordId}", $"dns-records/dns_{ObjectSeeds.NewId(16)}", null),
            (HttpMethod.Patch, $"custom-domains/{b.CustomDomainId}", $"custom-domains/dom_{ObjectSeeds.NewId(16)}", new { status = "active" }),
        ];
    }

    private static async Task AssertSame404Async(HttpClient client, string path, string random, string what)
    {
        using var other = await client.GetAsync(path);
        var otherBody = await other.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        using var missing = await client.GetAsync(random);
        var missingBody = await missing.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.True(RegistryApi.WithoutRequestId(otherBody) == RegistryApi.WithoutRequestId(missingBody), $"{what}: {otherBody} vs {missingBody}");
        Assert.True(otherBody.GetProperty("error").GetProperty("details").TryGetProperty("resource", out _), $"{what}: no details.resource");
    }

    [Fact]
    public async Task A_user_of_A_with_Bs_ids_gets_the_404_of_a_random_id_with_a_session_and_with_an_API_key()
    {
        var a = await Host.SeedPlatformAsync("acc-a");
        var b = await Host.SeedPlatformAsync("acc-b");
        using var session = Host.User(a.OwnerId, (a.Id, "owner"));
        using var key = Host.ApiKey(a.OwnerId, a.Id, "owner", "platforms:read");
        foreach (var client in new[] { session, key })
        {
            foreach (var (route, path, random) in ReadRoutes(b))
            {
                // B's child ids under A's path, and B's path itself: both answer like ids that do not exist.
                await AssertSame404Async(client, $"{RegistryApi.Platforms}/{a.Id}/{path}", $"{RegistryApi.Platforms}/{a.Id}/{random}", route);
                await AssertSame404Async(client, $"{RegistryApi.Platforms}/{b.Id}/{path}", $"{RegistryApi.Platforms}/{ObjectSeeds.NewId()}/{path}", route + " on B");
            }
        }

        // Malformed ids answer the same 404 as well-formed unknown ones.
        using var malformed = await session.GetAsync($"{RegistryApi.Platforms}/{a.Id}/resources/not-an-id");
        using var unknown = await session.GetAsync($"{RegistryApi.Platforms}/{a.Id}/resources/res_{ObjectSeeds.NewId(16)}");
        Assert.Equal(RegistryApi.WithoutRequestId(await malformed.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND")),
            RegistryApi.WithoutRequestId(await unknown.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND")));
    }

    [Fact]
    public async Task Bs_child_ids_under_As_path_are_404_even_for_an_operator_and_for_provisioning()
    {
        var a = await Host.SeedPlatformAsync("op-a");
        var b = await Host.SeedPlatformAsync("op-b");
        using var op = Host.Operator();
        foreach (var (route, path, random) in ReadRoutes(b))
        {
            await AssertSame404Async(op, $"{RegistryApi.Platforms}/{a.Id}/{path}", $"{RegistryApi.Platforms}/{a.Id}/{random}", route);
        }

        using var provisioning = await Host.ProvisioningAsync();
        foreach (var (method, path, random, body) in InternalIdRoutes(b))
        {
            using var other = await provisioning.SendJsonAsync(method, $"{RegistryApi.Platforms}/{a.Id}/{path}", body);
            var otherBody = await other.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
            using var missing = await provisioning.SendJsonAsync(method, $"{RegistryApi.Platforms}/{a.Id}/{random}", body);
            var missingBody = await missing.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
            Assert.Equal(RegistryApi.WithoutRequestId(missingBody), RegistryApi.WithoutRequestId(otherBody));
        }

        // Nothing of B changed.
        var resource = await Host.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(db.Resources, r => r.Id == b.ResourceId));
        Assert.Equal("active", resource.Status);
    }

    [Fact]
    public async Task Members_read_every_object_but_not_secrets_and_admins_read_secrets()
    {
        var p = await Host.SeedPlatformAsync("member");
        var paths = new[]
        {
            "stacks", "stacks/default", $"stacks/{p.StackId}", "features", $"features/{p.ActivationId}", "resources", $"resources/{p.ResourceId}",
            "dns-records", $"dns-records/{p.DnsRecordId}", "custom-domains", $"custom-domains/{p.CustomDomainId}", "build-state", "environments",
        };
        using var member = Host.User("usr_member_" + ObjectSeeds.NewId(), (p.Id, "member"));
        foreach (var path in paths)
        {
            using var response = await member.GetAsync($"{RegistryApi.Platforms}/{p.Id}/{path}");
            await response.ExpectAsync(HttpStatusCode.OK);
        }

        foreach (var path in new[] { "secrets", $"features/{p.ActivationId}/secrets" })
        {
            using var response = await member.GetAsync($"{RegistryApi.Platforms}/{p.Id}/{path}");
            await response.ExpectErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using var admin = Host.User("usr_admin_" + ObjectSeeds.NewId(), (p.Id, "admin"));
        using var secrets = await admin.GetAsync($"{RegistryApi.Platforms}/{p.Id}/secrets");
        Assert.Equal(1, (await secrets.ExpectAsync(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
        using var featureSecrets = await admin.GetAsync($"{RegistryApi.Platforms}/{p.Id}/features/{p.ActivationId}/secrets");
        var items = (await featureSecrets.ExpectAsync(HttpStatusCode.OK)).GetProperty("data");
        Assert.Equal("STRIPE_KEY", Assert.Single(items.EnumerateArray()).GetProperty("name").GetString());

        // An API key needs platforms:read for reads.
        using var noScope = Host.ApiKey(p.OwnerId, p.Id, "owner", "stacks:read");
        using var refused = await noScope.GetAsync($"{RegistryApi.Platforms}/{p.Id}/resources");
        await refused.ExpectErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");

        // Services are not readers of these routes.
        using var cli = await Host.ServiceAsync(NnoServices.Cli);
        using var serviceRead = await cli.GetAsync($"{RegistryApi.Platforms}/{p.Id}/resources");
        await serviceRead.ExpectErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
    }

    public static TheoryData<string, string> InternalRoutes => new()
    {
        { "POST", "resources" },
        { "PATCH", "resources/{res}" },
        { "PUT", "resources/{worker}/secrets/NEW_SECRET" },
        { "DELETE", "resources/{worker}/secrets/STRIPE_KEY" },
        { "POST", "dns-records" },
        { "PATCH", "dns-records/{dns}" },
        { "DELETE", "dns-records/{dns}" },
        { "PATCH", "custom-domains/{dom}" },
    };

    private static object? ValidBody(string method, string path, SeededPlatform p) => (method, path) switch
    {
        ("POST", "resources") => new { stackId = p.StackId, type = "kv", logicalName = "kv", cfName = $"{p.Id}-{p.StackId}-kv", environment = "prod", status = "active" },
        ("PATCH", "resources/{res}") => new { status = "failed" },
        ("PUT", _) => new { status = "set" },
        ("POST", "dns-records") => new { hostname = $"crm.svc.{p.StackId}.{p.Id}.nno.run", environment = "prod", recordType = "custom_hostname", target = $"{p.Id}-{p.StackId}-crm" },
        ("PATCH", "dns-records/{dns}") => new { sslStatus = "active" },
        ("PATCH", "custom-domains/{dom}") => new { status = "active" },
        _ => null,
    };

    private static string Resolve(string path, SeededPlatform p) =>
        path.Replace("{res}", p.ResourceId, StringComparison.Ordinal).Replace("{worker}", p.WorkerId, StringComparison.Ordinal)
            .Replace("{dns}", p.DnsRecordId, StringComparison.Ordinal).Replace("{dom}", p.CustomDomainId, StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(InternalRoutes))]
    public async Task Internal_routes_hide_from_users_refuse_other_services_and_serve_provisioning(string method, string template)
    {
        var p = await Host.SeedPlatformAsync("internal");
        var path = $"{RegistryApi.Platforms}/{p.Id}/{Resolve(template, p)}";
        var body = ValidBody(method, template, p);
        var verb = new HttpMethod(method);

        using var op = Host.Operator();
        using var owner = Host.User(p.OwnerId, (p.Id, "owner"));
        using var key = Host.ApiKey(p.OwnerId, p.Id, "owner", "platforms:write");
        using var staticKey = Host.StaticKey();
        foreach (var user in new[] { op, owner, key, staticKey })
        {
            using var hidden = await user.SendJsonAsync(verb, path, body);
            var error = await hidden.ExpectErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
            Assert.Equal(System.Text.Json.JsonValueKind.Null, error.GetProperty("error").GetProperty("details").ValueKind);
        }

        foreach (var service in new[] { NnoServices.Cli, NnoServices.Billing })
        {
            using var client = await Host.ServiceAsync(service);
            using var refused = await client.SendJsonAsync(verb, path, body);
            await refused.ExpectErrorAsync(HttpStatusCode.Forbidden, "FORBIDDEN");
        }

        using var provisioning = await Host.ProvisioningAsync();
        if (body is not null)
        {
            var withUnknown = System.Text.Json.JsonSerializer.SerializeToNode(body)!.AsObject();
            withUnknown["surprise"] = 1;
            using var unknown = await provisioning.SendJsonAsync(verb, path, withUnknown);
            var error = await unknown.ExpectErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
            Assert.Contains("surprise", error.ToString(), StringComparison.Ordinal);
        }

        using var ok = await provisioning.SendJsonAsync(verb, path, body);
        Assert.True(ok.IsSuccessStatusCode, $"{method} {template}: {(int)ok.StatusCode} {await ok.Content.ReadAsStringAsync()}");
    }
}
