using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Ids;
using Nno.Registry.Data;
using Nno.Registry.Entities;
using Nno.Registry.Outbox;

namespace Nno.Registry.Iam;

/// <summary><c>iam.put_platform_member</c>: IAM <c>PUT /api/nno/platforms/{pid}/members/{userId}</c> <c>{role}</c>.</summary>
internal sealed class PutPlatformMemberSender(IamClient iam, TimeProvider time) : IOutboxSender
{
    public string Kind => OutboxKinds.IamPutPlatformMember;

    public async Task<OutboxSendResult> SendAsync(OutboxRecord row, CancellationToken cancellationToken)
    {
        var payload = OutboxPayload.Of(row);
        if (payload.String("userId") is not { } userId || payload.String("role") is not { } role)
        {
            return OutboxSendResult.Failed("the payload lacks userId or role");
        }

        using var response = await iam.PutPlatformMemberAsync(row.PlatformId, userId, role, row.Id, cancellationToken);
        return OutboxHttp.ToResult(await OutboxHttp.ClassifyAsync(response, doneResource: null, time, cancellationToken));
    }
}

/// <summary>
/// <c>iam.transfer_owner</c>: the new owner becomes <c>owner</c> first, then the previous owner <c>admin</c>, so the
/// platform always has an owner (registry.md §4.2). A retry repeats the first PUT, which IAM answers 200 unchanged.
/// </summary>
internal sealed class TransferOwnerSender(IamClient iam, TimeProvider time) : IOutboxSender
{
    public string Kind => OutboxKinds.IamTransferOwner;

    public async Task<OutboxSendResult> SendAsync(OutboxRecord row, CancellationToken cancellationToken)
    {
        var payload = OutboxPayload.Of(row);
        if (payload.String("newOwnerUserId") is not { } newOwner)
        {
            return OutboxSendResult.Failed("the payload lacks newOwnerUserId");
        }

        using (var promoted = await iam.PutPlatformMemberAsync(row.PlatformId, newOwner, "owner", row.Id + ":owner", cancellationToken))
        {
            var answer = await OutboxHttp.ClassifyAsync(promoted, doneResource: null, time, cancellationToken);
            if (answer.Outcome != OutboxHttpOutcome.Success)
            {
                return OutboxHttp.ToResult(answer);
            }
        }

        if (payload.String("previousOwnerUserId") is not { } previous || previous == newOwner)
        {
            return OutboxSendResult.Done();
        }

        using var demoted = await iam.PutPlatformMemberAsync(row.PlatformId, previous, "admin", row.Id + ":admin", cancellationToken);
        var demotion = await OutboxHttp.ClassifyAsync(demoted, doneResource: null, time, cancellationToken);

        // The previous owner no longer being an IAM user leaves nothing to demote.
        return demotion.Outcome == OutboxHttpOutcome.Permanent && demotion.Status == System.Net.HttpStatusCode.NotFound && demotion.Code == "NOT_FOUND"
            ? OutboxSendResult.Done()
            : OutboxHttp.ToResult(demotion);
    }
}

/// <summary><c>iam.remove_platform</c> (purge): IAM <c>DELETE /api/nno/platforms/{pid}</c>.</summary>
internal sealed class RemovePlatformSender(IamClient iam, TimeProvider time) : IOutboxSender
{
    public string Kind => OutboxKinds.IamRemovePlatform;

    public async Task<OutboxSendResult> SendAsync(OutboxRecord row, CancellationToken cancellationToken)
    {
        using var response = await iam.RemovePlatformAsync(row.PlatformId, row.Id, cancellationToken);
        return OutboxHttp.ToResult(await OutboxHttp.ClassifyAsync(response, doneResource: "platform", time, cancellationToken));
    }
}

/// <summary>
/// <c>iam.create_org</c>: creates the entity's IAM organization (id = entity id, slug = entity slug), from the entity's
/// current row. A sub-tenant waits until its parent has an <c>iamOrgId</c>; a 409 is "already created" and the
/// organization found by <c>GET ?platformId&amp;slug</c> is adopted. Success: entity <c>active</c> with <c>iam_org_id</c>.
/// </summary>
internal sealed class CreateOrgSender(IamClient iam, RegistryDbContext db, TimeProvider time) : IOutboxSender
{
    public string Kind => OutboxKinds.IamCreateOrg;

    public async Task<OutboxSendResult> SendAsync(OutboxRecord row, CancellationToken cancellationToken)
    {
        var entityId = row.TargetId ?? OutboxPayload.Of(row).String("entityId");
        var entity = await db.Entities.AsNoTracking().FirstOrDefaultAsync(e => e.PlatformId == row.PlatformId && e.Id == entityId, cancellationToken);
        if (entity is null || entity.IamOrgId is not null || entity.DeletedAt is not null)
        {
            // Gone, already linked, or deleted before its organization existed (iam.delete_org then has nothing to do).
            return OutboxSendResult.Done();
        }

        // A deleted entity of the same slug whose organization is still being deleted holds the slug in IAM: creating now
        // would get 409 and adopt that organization. Entity deletion frees the slug at once, so wait for IAM to catch up.
        var slug = entity.Slug;
        if (await db.Outbox.AnyAsync(o => o.CompletedAt == null && o.Kind == OutboxKinds.IamDeleteOrg && o.PlatformId == row.PlatformId
                && db.Entities.Any(e => e.PlatformId == row.PlatformId && e.Id == o.TargetId && e.Slug == slug && e.DeletedAt != null), cancellationToken))
        {
            return OutboxSendResult.Retry("waiting for the organization of a deleted entity with this slug to be deleted");
        }

        // The platform's owner row goes first: IAM makes an organization's owner a platform member, so an owner who
        // arrived that way would read as "member" (read-only) until the owner row followed it.
        if (await db.Outbox.AnyAsync(o => o.CompletedAt == null && o.PlatformId == row.PlatformId
                && (o.Kind == OutboxKinds.IamPutPlatformMember || o.Kind == OutboxKinds.IamTransferOwner), cancellationToken))
        {
            return OutboxSendResult.Retry("waiting for the platform's owner membership");
        }

        string? parentOrgId = null;
        if (entity.ParentId is { } parentId)
        {
            var parent = await db.Entities.AsNoTracking().Where(e => e.PlatformId == row.PlatformId && e.Id == parentId)
                .Select(e => new { e.IamOrgId, e.DeletedAt }).FirstOrDefaultAsync(cancellationToken);
            if (parent is null || parent.DeletedAt is not null)
            {
                return Failed(entity.Id, "the parent entity no longer exists");
            }

            if (parent.IamOrgId is null)
            {
                return OutboxSendResult.Retry("waiting for the parent entity's IAM organization");
            }

            parentOrgId = parent.IamOrgId;
        }

        var owner = OutboxPayload.Of(row).String("ownerUserId")
            ?? await db.Platforms.AsNoTracking().Where(p => p.Id == row.PlatformId).Select(p => p.OwnerUserId).FirstOrDefaultAsync(cancellationToken);
        if (owner is null)
        {
            return Failed(entity.Id, "the platform has no owner to own the organization");
        }

        var body = new IamCreateOrganizationBody(entity.Id, entity.PlatformId, parentOrgId, entity.Name, entity.Slug, owner, "tenant",
            new IamOrganizationMetadata(entity.Id, entity.ParentId));
        using var response = await iam.CreateOrganizationAsync(body, row.Id, cancellationToken);
        var answer = await OutboxHttp.ClassifyAsync(response, doneResource: null, time, cancellationToken);
        if (answer.Outcome == OutboxHttpOutcome.Success)
        {
            var created = await IamClient.ReadAsync<IamOrganization>(response, cancellationToken);
            return created is not null && IdFormat.IsId(created.Id)
                ? Linked(entity.Id, created.Id)
                : Failed(entity.Id, "IAM's organization answer has no valid id");
        }

        if (answer.Status == System.Net.HttpStatusCode.Conflict)
        {
            return await AdoptAsync(entity, cancellationToken);
        }

        return OutboxHttp.ToResult(answer, error => Mark(entity.Id, error));
    }

    /// <summary>409: the organization exists already (an earlier attempt, or created another way): look it up by slug and adopt it.</summary>
    private async Task<OutboxSendResult> AdoptAsync(EntityRecord entity, CancellationToken cancellationToken)
    {
        using var response = await iam.FindOrganizationsAsync(entity.PlatformId, entity.Slug, cancellationToken);
        var answer = await OutboxHttp.ClassifyAsync(response, doneResource: null, time, cancellationToken);
        if (answer.Outcome != OutboxHttpOutcome.Success)
        {
            return OutboxHttp.ToResult(answer, error => Mark(entity.Id, "409, then the lookup failed: " + error));
        }

        var page = await IamClient.ReadAsync<IamOrganizationPage>(response, cancellationToken);
        var found = page?.Data.FirstOrDefault(o => o.PlatformId == entity.PlatformId && o.Slug == entity.Slug);
        if (found is null || !IdFormat.IsId(found.Id))
        {
            return Failed(entity.Id, "IAM answered 409 but has no live organization with this slug");
        }

        // Never adopt the organization of another entity (iam_org_id is unique): that would steal it.
        var orgId = found.Id;
        return await db.Entities.AnyAsync(e => e.IamOrgId == orgId && e.Id != entity.Id, cancellationToken)
            ? Failed(entity.Id, "the IAM organization with this slug belongs to another entity")
            : Linked(entity.Id, orgId);
    }

    private OutboxSendResult Linked(string entityId, string orgId)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return OutboxSendResult.Done(async (context, cancellationToken) =>
        {
            await context.Entities.Where(e => e.Id == entityId).ExecuteUpdateAsync(
                s => s.SetProperty(e => e.IamOrgId, orgId)
                    .SetProperty(e => e.Status, e => e.Status == EntityStatuses.Pending ? EntityStatuses.Active : e.Status)
                    .SetProperty(e => e.LastError, (string?)null)
                    .SetProperty(e => e.UpdatedAt, now),
                cancellationToken);
        });
    }

    private OutboxSendResult Failed(string entityId, string error) => OutboxSendResult.Failed(error, Mark(entityId, error));

    /// <summary>Entities have no <c>failed</c> status: a permanent failure stays <c>pending</c> with <c>last_error</c>.</summary>
    private Func<RegistryDbContext, CancellationToken, Task> Mark(string entityId, string error)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return (context, cancellationToken) => context.Entities.Where(e => e.Id == entityId)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.LastError, error).SetProperty(e => e.UpdatedAt, now), cancellationToken);
    }
}

/// <summary><c>iam.update_org</c>: renames the organization to the entity's current name; waits while the organization is being created.</summary>
internal sealed class UpdateOrgSender(IamClient iam, RegistryDbContext db, TimeProvider time) : IOutboxSender
{
    public string Kind => OutboxKinds.IamUpdateOrg;

    public async Task<OutboxSendResult> SendAsync(OutboxRecord row, CancellationToken cancellationToken)
    {
        var entityId = row.TargetId ?? OutboxPayload.Of(row).String("entityId");
        var entity = await db.Entities.AsNoTracking().FirstOrDefaultAsync(e => e.PlatformId == row.PlatformId && e.Id == entityId, cancellationToken);
        if (entity is null || entity.DeletedAt is not null)
        {
            return OutboxSendResult.Done();
        }

        if (entity.IamOrgId is not { } orgId)
        {
            // iam.create_org sends the current name when it runs, but it may be in flight with the old one.
            return OutboxSendResult.Retry("waiting for the entity's IAM organization");
        }

        using var response = await iam.RenameOrganizationAsync(orgId, entity.Name, row.Id, cancellationToken);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return OutboxHttp.ToResult(await OutboxHttp.ClassifyAsync(response, doneResource: "organization", time, cancellationToken),
            error => (context, ct) => context.Entities.Where(e => e.Id == entity.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.LastError, error).SetProperty(e => e.UpdatedAt, now), ct));
    }
}

/// <summary>
/// <c>iam.delete_org</c>: deletes the entity's organization; 404 with <c>resource: "organization"</c> is done. IAM refuses
/// an organization with live children (409 <c>has_children</c>): retried, since the children's rows are queued with it.
/// </summary>
internal sealed class DeleteOrgSender(IamClient iam, RegistryDbContext db, TimeProvider time) : IOutboxSender
{
    public string Kind => OutboxKinds.IamDeleteOrg;

    public async Task<OutboxSendResult> SendAsync(OutboxRecord row, CancellationToken cancellationToken)
    {
        var payload = OutboxPayload.Of(row);
        var entityId = row.TargetId ?? payload.String("entityId");
        var orgId = await db.Entities.AsNoTracking().Where(e => e.PlatformId == row.PlatformId && e.Id == entityId)
            .Select(e => e.IamOrgId).FirstOrDefaultAsync(cancellationToken) ?? payload.String("iamOrgId");
        if (orgId is null)
        {
            // No organization yet: one may still be on its way (a create row not completed), else there is nothing to delete.
            var creating = await db.Outbox.AnyAsync(o => o.CompletedAt == null && o.Kind == OutboxKinds.IamCreateOrg && o.TargetId == entityId && o.PlatformId == row.PlatformId, cancellationToken);
            return creating ? OutboxSendResult.Retry("waiting for the organization being created") : OutboxSendResult.Done();
        }

        using var response = await iam.DeleteOrganizationAsync(orgId, row.Id, cancellationToken);
        var answer = await OutboxHttp.ClassifyAsync(response, doneResource: "organization", time, cancellationToken);
        if (answer.Status == System.Net.HttpStatusCode.Conflict && answer.Reason == "has_children")
        {
            return OutboxSendResult.Retry(answer.Error);
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return OutboxHttp.ToResult(answer, error => (context, ct) => context.Entities.Where(e => e.Id == entityId)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.LastError, error).SetProperty(e => e.UpdatedAt, now), ct));
    }
}

/// <summary>
/// <c>iam.notify</c>: IAM <c>POST /api/nno/notifications</c> with exactly <c>{platformId, kind, audience, userId, data,
/// dedupeKey}</c>. IAM's <c>data</c> is a flat object of strings and numbers: absent (null) values are left out, booleans
/// become strings, nested values are dropped.
/// </summary>
internal sealed class NotifySender(IamClient iam, TimeProvider time) : IOutboxSender
{
    public string Kind => OutboxKinds.IamNotify;

    public async Task<OutboxSendResult> SendAsync(OutboxRecord row, CancellationToken cancellationToken)
    {
        var payload = OutboxPayload.Of(row);
        if (payload.String("kind") is not { } kind || payload.String("audience") is not { } audience || payload.String("dedupeKey") is not { } dedupeKey)
        {
            return OutboxSendResult.Failed("the payload lacks kind, audience or dedupeKey");
        }

        var data = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (payload.Element("data") is { ValueKind: JsonValueKind.Object } given)
        {
            foreach (var property in given.EnumerateObject())
            {
                switch (property.Value.ValueKind)
                {
                    case JsonValueKind.String or JsonValueKind.Number:
                        data[property.Name] = property.Value;
                        break;
                    case JsonValueKind.True or JsonValueKind.False:
                        data[property.Name] = JsonSerializer.SerializeToElement(property.Value.ValueKind == JsonValueKind.True ? "true" : "false");
                        break;
                }
            }
        }

        var body = new IamNotificationBody(payload.String("platformId") ?? row.PlatformId, kind, audience, payload.String("userId"), data, dedupeKey);
        using var response = await iam.NotifyAsync(body, row.Id, cancellationToken);
        return OutboxHttp.ToResult(await OutboxHttp.ClassifyAsync(response, doneResource: null, time, cancellationToken));
    }
}

/// <summary>Registers the typed IAM client and the IAM senders.</summary>
internal static class IamSenderRegistration
{
    public static Microsoft.Extensions.DependencyInjection.IServiceCollection AddRegistryIamSenders(this Microsoft.Extensions.DependencyInjection.IServiceCollection services)
    {
        Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.TryAdd(services,
            Microsoft.Extensions.DependencyInjection.ServiceDescriptor.Scoped<IamClient, IamClient>());
        services.AddOutboxSender<PutPlatformMemberSender>();
        services.AddOutboxSender<TransferOwnerSender>();
        services.AddOutboxSender<RemovePlatformSender>();
        services.AddOutboxSender<CreateOrgSender>();
        services.AddOutboxSender<UpdateOrgSender>();
        services.AddOutboxSender<DeleteOrgSender>();
        services.AddOutboxSender<NotifySender>();
        return services;
    }
}
