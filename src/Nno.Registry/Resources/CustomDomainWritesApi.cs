using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Core.Naming;
using Nno.Registry.Access;
using Nno.Registry.Data;
using Nno.Registry.Objects;
using Nno.Registry.Outbox;
using Nno.Registry.Platforms;
using Nno.ServiceDefaults.Idempotency;

namespace Nno.Registry.Resources;

/// <summary>Body of <c>POST /custom-domains</c>.</summary>
internal sealed record CreateCustomDomainRequest
{
    public string? Domain { get; init; }

    public string? TargetHostname { get; init; }
}

/// <summary>
/// The customer's custom-domain writes of registry.md §3.8: add a domain pointed at one of the platform's live NNO
/// hostnames (202 <c>pending</c>; at most 20 live per platform; a domain is live on one platform at most) and remove one
/// (202 <c>removing</c>). Jobs start through the outbox (<c>provisioning.add_custom_domain</c> / <c>remove_custom_domain</c>).
/// </summary>
internal static class CustomDomainWritesApi
{
    public static IEndpointRouteBuilder MapCustomDomainWrites(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(PlatformsApi.Path + "/{pid:pid}/custom-domains").WithTags("Custom domains");
        group.MapPost("", CreateAsync)
            .WithName("CreateCustomDomain").WithSummary("Point a customer-owned domain at one of the platform's NNO hostnames (202 pending).")
            .WithIdempotency();
        group.MapDelete("/{id}", DeleteAsync)
            .WithName("DeleteCustomDomain").WithSummary("Remove a custom domain (202 removing).");
        return app;
    }

    private static async Task<Accepted<CustomDomainView>> CreateAsync(
        string pid, CreateCustomDomainRequest body, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, RegistryIds ids, HostnameBuilder hostnames,
        CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, AccessNeed.Manage, cancellationToken);
        PlatformStatusGate.RequireWritable(grant);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (body.Domain is null)
        {
            problems["domain"] = ["is required"];
        }
        else if (HostnameRules.Problem(body.Domain) is { } domainProblem)
        {
            problems["domain"] = [domainProblem];
        }
        else if (hostnames.IsUnderReservedDomain(body.Domain))
        {
            problems["domain"] = [$"must not be under {hostnames.PlatformDomain} or {hostnames.CoreDomain}"];
        }

        if (body.TargetHostname is null || HostnameRules.Problem(body.TargetHostname) is not null)
        {
            problems["targetHostname"] = [body.TargetHostname is null ? "is required" : "not found"];
        }

        ObjectLists.ThrowIfAny(problems);
        var domain = body.Domain!;
        var target = body.TargetHostname!;

        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var platform = await db.Platforms.AsNoTracking().FirstAsync(p => p.Id == pid, cancellationToken);
        PlatformStatusGate.RequireWritable(grant with { Platform = platform });
        var record = await db.DnsRecords.AsNoTracking().FirstOrDefaultAsync(
            d => d.PlatformId == pid && d.Hostname == target && d.RecordType == DnsRecordTypes.CustomHostname && d.DeletedAt == null, cancellationToken);
        if (record?.StackId is null)
        {
            throw ApiException.Validation("targetHostname", "not found (a live NNO hostname of this platform)");
        }

        var live = await db.CustomDomains.CountAsync(d => d.PlatformId == pid && d.DeletedAt == null, cancellationToken);
        if (live >= ObjectLimits.MaxCustomDomains)
        {
            throw TierLimits.Exceeded("customDomains", ObjectLimits.MaxCustomDomains, live);
        }

        if (await db.CustomDomains.AnyAsync(d => d.Domain == domain && d.DeletedAt == null, cancellationToken))
        {
            throw Taken(domain);
        }

        var now = uow.Now;
        var row = new CustomDomainRecord
        {
            Id = ids.New(RegistryIds.CustomDomain),
            PlatformId = pid,
            StackId = record.StackId,
            Domain = domain,
            TargetHostname = target,
            Status = CustomDomainStatuses.Pending,
            SslStatus = SslStatuses.Pending,
            VerificationRecords = "[]",
            CreatedBy = grant.Caller.ActorId,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.CustomDomains.Add(row);
        uow.AddAudit(grant.Caller, "custom_domain.created", pid, "custom_domain", row.Id, new { domain, targetHostname = target, stackId = row.StackId });
        uow.AddOutbox(OutboxKinds.ProvisioningAddCustomDomain, pid, row.Id, new { platformId = pid, customDomainId = row.Id, domain, targetHostname = target });
        try
        {
            await uow.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ConstraintViolations.IsUniqueViolation(ex))
        {
            throw Taken(domain);
        }

        context.SetIdempotencyResourceId(row.Id);
        return TypedResults.Accepted($"{PlatformsApi.Path}/{pid}/custom-domains/{row.Id}", CustomDomainView.From(row));
    }

    private static async Task<Accepted<CustomDomainView>> DeleteAsync(string pid, string id, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, AccessNeed.Manage, cancellationToken);
        PlatformStatusGate.RequireWritable(grant);
        if (!RegistryIds.IsPrefixed(id, RegistryIds.CustomDomain))
        {
            throw ApiException.NotFound("custom_domain");
        }

        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var row = await db.CustomDomains.FirstOrDefaultAsync(d => d.PlatformId == pid && d.Id == id, cancellationToken) ?? throw ApiException.NotFound("custom_domain");
        ObjectTransitions.Require(ObjectTransitions.CustomDomain, row.Status, CustomDomainStatuses.Removing, fromIsFinal: row.Status == CustomDomainStatuses.Removed);
        if (row.Status == CustomDomainStatuses.Removing)
        {
            throw new ApiException(ErrorCodes.InvalidTransition, "The custom domain is already being removed.",
                new { currentStatus = row.Status, requested = CustomDomainStatuses.Removing, allowed = Array.Empty<string>() });
        }

        row.Status = CustomDomainStatuses.Removing;
        row.UpdatedAt = uow.Now;
        uow.AddAudit(grant.Caller, "custom_domain.removal_requested", pid, "custom_domain", row.Id, new { domain = row.Domain });
        uow.AddOutbox(OutboxKinds.ProvisioningRemoveCustomDomain, pid, row.Id, new { platformId = pid, customDomainId = row.Id });
        await uow.CommitAsync(cancellationToken);
        return TypedResults.Accepted((string?)null, CustomDomainView.From(row));
    }

    private static ApiException Taken(string domain) =>
        new(ErrorCodes.Conflict, $"The domain {domain} is already in use.", new { field = "domain" });
}
