using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Services;
using Nno.Registry.Builds;
using Nno.Registry.Data;
using Nno.Registry.Environments;
using Nno.Registry.Features;
using Nno.Registry.Resources;
using Nno.Registry.Stacks;

namespace Nno.Registry.Tests.Support;

/// <summary>One imported platform with one object of every kind, for the read and report tests.</summary>
internal sealed record SeededPlatform(
    string Id, string OwnerId, string EntityId, string StackId, string ActivationId, string ResourceId, string WorkerId, string DnsRecordId,
    string CustomDomainId, string SecretName);

/// <summary>Seeding for the object tests: objects whose create routes belong to other parts are written to the database directly.</summary>
internal static class ObjectSeeds
{
    private static int s_clock;

    public static string NewSlug(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>A distinct created_at per row, so keyset order is defined by creation order in these tests.</summary>
    public static long NextCreatedAt() => 1_767_225_600_000 + Interlocked.Increment(ref s_clock);

    public static string NewId(int length = 10) => Guid.NewGuid().ToString("N")[..length];

    /// <summary>The Provisioning service's client.</summary>
    public static Task<HttpClient> ProvisioningAsync(this RegistryHost host) => host.ServiceAsync(NnoServices.Provisioning);

    public static async Task<string> DefaultEntityAsync(this RegistryHost host, string pid) =>
        await host.WithDbAsync(db => db.Entities.Where(e => e.PlatformId == pid && e.IsDefault).Select(e => e.Id).SingleAsync());

    public static Task<string> AddStackAsync(this RegistryHost host, string pid, string entityId, string status = "active", string? definition = null) =>
        host.WithDbAsync(async db =>
        {
            var id = NewId();
            var at = NextCreatedAt();
            db.Stacks.Add(new StackRecord
            {
                PlatformId = pid, Id = id, EntityId = entityId, Name = "stack-" + id, DisplayName = "Stack " + id, Source = StackSources.Template,
                TemplateId = "crm", TemplateVersion = "1.0.0", Definition = definition ?? """{"schemaVersion":1,"name":"crm","version":"1.0.0"}""",
                Environment = "prod", Status = status, CreatedBy = "usr_owner", CreatedAt = at, UpdatedAt = at,
            });
            await db.SaveChangesAsync();
            return id;
        });

    public static Task<string> AddActivationAsync(this RegistryHost host, string pid, string entityId, string stackId, string featureId, string environment = "prod", string status = "active") =>
        host.WithDbAsync(async db =>
        {
            var id = "fa_" + NewId(16);
            var at = NextCreatedAt();
            db.FeatureActivations.Add(new FeatureActivationRecord
            {
                Id = id, PlatformId = pid, EntityId = entityId, StackId = stackId, FeatureId = featureId, FeatureVersion = "1.0.0", Environment = environment,
                Source = ActivationSources.Standalone, Status = status, Config = "{}", CreatedBy = "usr_owner", CreatedAt = at, UpdatedAt = at,
            });
            await db.SaveChangesAsync();
            return id;
        });

    public static Task<string> AddResourceAsync(this RegistryHost host, string pid, string stackId, string logicalName, string type = "d1", string? featureId = null, string environment = "prod") =>
        host.WithDbAsync(async db =>
        {
            var id = "res_" + NewId(16);
            var at = NextCreatedAt();
            db.Resources.Add(new ResourceRecord
            {
                Id = id, PlatformId = pid, StackId = stackId, FeatureId = featureId, Type = type, LogicalName = logicalName,
                CfName = $"{pid}-{stackId}-{logicalName}" + (environment == "prod" ? "" : "-" + environment), Environment = environment, Status = "active",
                CreatedAt = at, UpdatedAt = at,
            });
            await db.SaveChangesAsync();
            return id;
        });

    public static Task<string> AddSecretAsync(this RegistryHost host, string pid, string resourceId, string name, string source = "customer") =>
        host.WithDbAsync(async db =>
        {
            var id = "sec_" + NewId(16);
            var at = NextCreatedAt();
            db.Secrets.Add(new SecretRecord
            {
                Id = id, PlatformId = pid, ResourceId = resourceId, Name = name, Environment = "prod", Source = source, Status = "set", Version = 1,
                LastSetAt = at, LastSetBy = "user:usr_owner", CreatedAt = at, UpdatedAt = at,
            });
            await db.SaveChangesAsync();
            return id;
        });

    public static Task<string> AddDnsRecordAsync(this RegistryHost host, string pid, string stackId, string name) =>
        host.WithDbAsync(async db =>
        {
            var id = "dns_" + NewId(16);
            var at = NextCreatedAt();
            db.DnsRecords.Add(new DnsRecordRecord
            {
                Id = id, PlatformId = pid, StackId = stackId, Environment = "prod", Hostname = $"{name}.svc.{stackId}.{pid}.nno.run", RecordType = DnsRecordTypes.CustomHostname,
                Target = $"{pid}-{stackId}-{name}", SslStatus = SslStatuses.Pending, CreatedAt = at, UpdatedAt = at,
            });
            await db.SaveChangesAsync();
            return id;
        });

    public static Task<string> AddCustomDomainAsync(this RegistryHost host, string pid, string stackId, string status = "pending") =>
        host.WithDbAsync(async db =>
        {
            var id = "dom_" + NewId(16);
            var at = NextCreatedAt();
            db.CustomDomains.Add(new CustomDomainRecord
            {
                Id = id, PlatformId = pid, StackId = stackId, Domain = $"app-{NewId()}.example.com", TargetHostname = $"team.svc.{stackId}.{pid}.nno.run",
                Status = status, SslStatus = SslStatuses.Pending, VerificationRecords = """[{"type":"TXT","name":"_cf.example.com","value":"token-1"}]""",
                CreatedBy = "usr_owner", CreatedAt = at, UpdatedAt = at,
            });
            await db.SaveChangesAsync();
            return id;
        });

    public static Task AddBuildStateAndEnvironmentAsync(this RegistryHost host, string pid) =>
        host.WithDbAsync(async db =>
        {
            var at = NextCreatedAt();
            db.BuildState.Add(new BuildStateRecord { PlatformId = pid, Environment = "prod", Status = BuildStatuses.Success, PagesProject = pid + "-prod-portal", UpdatedAt = at });
            db.Environments.Add(new PlatformEnvironmentRecord { PlatformId = pid, Environment = "prod", Status = EnvironmentStatuses.Active, ProvisionedAt = at, CreatedAt = at, UpdatedAt = at });
            return await db.SaveChangesAsync();
        });

    /// <summary>An imported platform with a stack, an activation of <c>team</c> with its Worker and a customer secret, a DNS record and a custom domain.</summary>
    public static async Task<SeededPlatform> SeedPlatformAsync(this RegistryHost host, string prefix)
    {
        var owner = "usr_" + NewId();
        var platform = await host.ImportAsync(NewSlug(prefix), owner: owner);
        var pid = platform.GetProperty("id").GetString()!;
        var entity = await host.DefaultEntityAsync(pid);
        var stack = await host.AddStackAsync(pid, entity);
        var activation = await host.AddActivationAsync(pid, entity, stack, "team");
        var resource = await host.AddResourceAsync(pid, stack, "db");
        var worker = await host.AddResourceAsync(pid, stack, "team", type: "worker", featureId: "team");
        await host.AddSecretAsync(pid, worker, "STRIPE_KEY");
        var dns = await host.AddDnsRecordAsync(pid, stack, "team");
        var domain = await host.AddCustomDomainAsync(pid, stack);
        await host.AddBuildStateAndEnvironmentAsync(pid);
        return new SeededPlatform(pid, owner, entity, stack, activation, resource, worker, dns, domain, "STRIPE_KEY");
    }

    public static Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string path, object body) =>
        client.PutAsync(path, new StringContent(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> PutRawAsync(this HttpClient client, string path, string json) =>
        client.PutAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> SendJsonAsync(this HttpClient client, HttpMethod method, string path, object? body) =>
        client.SendAsync(new HttpRequestMessage(method, path)
        {
            Content = body is null ? null : new StringContent(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json"),
        });

    public static async Task<int> CountAsync(this RegistryHost host, Func<RegistryDbContext, Task<int>> count) => await host.WithDbAsync(count);

    public static HttpStatusCode StatusOf(this HttpResponseMessage response) => response.StatusCode;
}

/// <summary>One Registry host shared by the tests of a class (each test seeds its own platforms).</summary>
public sealed class SharedRegistry : IAsyncLifetime
{
    public RegistryHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await RegistryHost.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
