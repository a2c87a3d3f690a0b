using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Registry.Entities;
using Nno.Registry.Features;
using Nno.Registry.Stacks;
using Nno.Registry.Tests.Support;

namespace Nno.Registry.Tests.Entities;

/// <summary>Calls and direct rows the entity tests share.</summary>
internal static class EntitiesTestKit
{
    public static string EntitiesPath(string pid) => $"{RegistryApi.Platforms}/{pid}/entities";

    public static string EntityPath(string pid, string eid) => $"{EntitiesPath(pid)}/{eid}";

    public static Task<HttpResponseMessage> CreateEntityAsync(this HttpClient client, string pid, string slug, string? parentId = null, string? name = null) =>
        client.PostJsonAsync(EntitiesPath(pid), parentId is null ? new { name = name ?? "Tenant " + slug, slug } : (object)new { name = name ?? "Tenant " + slug, slug, parentId });

    /// <summary>Creates an entity through the API and returns its JSON (asserting 201).</summary>
    public static async Task<JsonElement> CreatedEntityAsync(this HttpClient client, string pid, string slug, string? parentId = null)
    {
        using var response = await client.CreateEntityAsync(pid, slug, parentId);
        return await response.ExpectAsync(HttpStatusCode.Created);
    }

    public static string Id(this JsonElement json) => json.GetProperty("id").GetString()!;

    public static JsonElement Details(this JsonElement error) => error.GetProperty("error").GetProperty("details");

    public static Task<EntityRecord> EntityAsync(this RegistryHost host, string eid) =>
        host.WithDbAsync(db => db.Entities.AsNoTracking().SingleAsync(e => e.Id == eid));

    public static Task<string> DefaultEntityIdAsync(this RegistryHost host, string pid) =>
        host.WithDbAsync(db => db.Entities.Where(e => e.PlatformId == pid && e.IsDefault).Select(e => e.Id).SingleAsync());

    public static string NewId() => Guid.NewGuid().ToString("N")[..10];

    /// <summary>Inserts an entity row directly (setup for limits and paging without the API's limits).</summary>
    public static Task<string> InsertEntityAsync(this RegistryHost host, string pid, string slug, string? parentId = null, int depth = 0, long? createdAt = null, bool deleted = false) =>
        host.WithDbAsync(async db =>
        {
            var at = createdAt ?? host.Time.GetUtcNow().ToUnixTimeMilliseconds();
            var id = NewId();
            db.Entities.Add(new EntityRecord
            {
                Id = id, PlatformId = pid, ParentId = parentId, Type = parentId is null ? EntityTypes.Tenant : EntityTypes.SubTenant, Depth = depth,
                Name = "Row " + slug, Slug = slug, Status = deleted ? EntityStatuses.Deleted : EntityStatuses.Active, CreatedBy = "test",
                CreatedAt = at, UpdatedAt = at, DeletedAt = deleted ? at : null,
            });
            await db.SaveChangesAsync();
            return id;
        });

    /// <summary>A stack owned by <paramref name="entityId"/> (stack creation belongs to a later issue).</summary>
    public static Task<string> InsertStackAsync(this RegistryHost host, string pid, string entityId, string status = "active") =>
        host.WithDbAsync(async db =>
        {
            var now = host.Time.GetUtcNow().ToUnixTimeMilliseconds();
            var id = NewId();
            db.Stacks.Add(new StackRecord
            {
                PlatformId = pid, Id = id, EntityId = entityId, Name = "stack-" + id, DisplayName = "Stack", Source = StackSources.Custom,
                Environment = "prod", Status = status, CreatedBy = "test", CreatedAt = now, UpdatedAt = now,
                DeletedAt = status == StackStatuses.Deleted ? now : null,
            });
            await db.SaveChangesAsync();
            return id;
        });

    /// <summary>A feature activation of <paramref name="entityId"/> in the default stack.</summary>
    public static Task<string> InsertActivationAsync(this RegistryHost host, string pid, string entityId, string status) =>
        host.WithDbAsync(async db =>
        {
            var now = host.Time.GetUtcNow().ToUnixTimeMilliseconds();
            var id = "fa_" + Guid.NewGuid().ToString("N")[..16];
            db.FeatureActivations.Add(new FeatureActivationRecord
            {
                Id = id, PlatformId = pid, EntityId = entityId, StackId = StackRecord.DefaultId, FeatureId = "crm", FeatureVersion = "1.0.0",
                Environment = "prod", Source = ActivationSources.Standalone, Status = status, Config = "{}", CreatedBy = "test", CreatedAt = now, UpdatedAt = now,
            });
            await db.SaveChangesAsync();
            return id;
        });

    /// <summary>True once the relay made the entity active (the fake clock moves so backoffs pass).</summary>
    public static Task WaitActiveAsync(this RegistryHost host, string eid, string what = "the entity to become active") =>
        host.AdvanceUntilAsync(async () => (await host.EntityAsync(eid)).Status == EntityStatuses.Active, TimeSpan.FromMilliseconds(500), what);
}
