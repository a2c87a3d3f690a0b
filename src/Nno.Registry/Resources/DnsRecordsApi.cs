using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Environments;
using Nno.Core.Errors;
using Nno.Core.Ids;
using Nno.Core.Naming;
using Nno.Core.Pagination;
using Nno.Core.Services;
using Nno.Registry.Access;
using Nno.Registry.Audit;
using Nno.Registry.Data;
using Nno.Registry.Environments;
using Nno.Registry.Objects;
using Nno.Registry.Paging;
using Nno.Registry.Platforms;
using Nno.Registry.Stacks;
using Nno.ServiceDefaults.Security;

namespace Nno.Registry.Resources;

/// <summary>Body of the internal DNS upsert <c>POST /dns-records</c> (registry.md §3.8).</summary>
internal sealed record DnsRecordReportRequest
{
    public string? Hostname { get; init; }

    public string? Environment { get; init; }

    public string? RecordType { get; init; }

    public string? Target { get; init; }

    public string? StackId { get; init; }

    public string? ResourceId { get; init; }

    public string? CfCustomHostnameId { get; init; }

    public string? SslStatus { get; init; }
}

/// <summary>Body of the internal <c>PATCH /dns-records/{id}</c>.</summary>
internal sealed record DnsRecordPatchRequest
{
    public string? SslStatus { get; init; }

    public string? SslError { get; init; }

    public string? CfCustomHostnameId { get; init; }

    public string? Target { get; init; }
}

/// <summary>
/// DNS records of registry.md §3.8: reads (op own adm mem; lists show live records) and Provisioning's reports. A live
/// hostname is unique across all platforms: reporting one that another platform holds is 409.
/// </summary>
internal static class DnsRecordsApi
{
    public static IEndpointRouteBuilder MapDnsRecords(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(PlatformsApi.Path + "/{pid:pid}/dns-records").WithTags("DNS records");
        group.MapGet("", ListAsync)
            .WithName("ListDnsRecords").WithSummary("A platform's live DNS records, oldest first; filters stackId, environment, sslStatus, hostname.");
        group.MapGet("/{id}", GetAsync)
            .WithName("GetDnsRecord").WithSummary("One DNS record (a deleted one shows deletedAt).");
        group.MapPost("", UpsertAsync)
            .WithName("ReportDnsRecord").WithSummary("Internal (Provisioning): upsert by hostname; 201 new, 200 updated; 409 when live on another platform.")
            .ServiceOnly(NnoServices.Provisioning);
        group.MapPatch("/{id}", PatchAsync)
            .WithName("UpdateDnsRecord").WithSummary("Internal (Provisioning): sslStatus, sslError, cfCustomHostnameId, target.")
            .ServiceOnly(NnoServices.Provisioning);
        group.MapDelete("/{id}", DeleteAsync)
            .WithName("DeleteDnsRecord").WithSummary("Internal (Provisioning): soft delete; the hostname becomes free.")
            .ServiceOnly(NnoServices.Provisioning);
        return app;
    }

    private static async Task<Ok<Page<DnsRecordView>>> ListAsync(
        string pid, HttpContext context, PlatformAccess access, RegistryDbContext db, RegistryCursors cursors,
        [FromQuery] string? stackId, [FromQuery] string? environment, [FromQuery] string? sslStatus, [FromQuery] string? hostname,
        CancellationToken cancellationToken)
    {
        await access.RequireAsync(context, pid, AccessNeed.Read, cancellationToken);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        ObjectLists.Check(problems, "stackId", stackId, IdFormat.IsStackId, "must be a 10-character stack id or 'default'");
        ObjectLists.CheckEnum(problems, "environment", environment, PlatformEnvironments.All);
        ObjectLists.CheckEnum(problems, "sslStatus", sslStatus, SslStatuses.All);
        ObjectLists.Check(problems, "hostname", hostname, Hostnames.IsValid, "must be a lower-case hostname");
        ObjectLists.ThrowIfAny(problems);

        var rows = db.DnsRecords.AsNoTracking().Where(d => d.PlatformId == pid && d.DeletedAt == null);
        rows = stackId is null ? rows : rows.Where(d => d.StackId == stackId);
        rows = environment is null ? rows : rows.Where(d => d.Environment == environment);
        rows = sslStatus is null ? rows : rows.Where(d => d.SslStatus == sslStatus);
        rows = hostname is null ? rows : rows.Where(d => d.Hostname == hostname);
        return TypedResults.Ok(await ObjectLists.PageAsync(context, cursors, "dns-records", pid,
            [("stackId", stackId), ("environment", environment), ("sslStatus", sslStatus), ("hostname", hostname)],
            rows, d => d.CreatedAt, d => d.Id, DnsRecordView.From, cancellationToken));
    }

    private static async Task<Ok<DnsRecordView>> GetAsync(string pid, string id, HttpContext context, PlatformAccess access, RegistryDbContext db, CancellationToken cancellationToken)
    {
        await access.RequireAsync(context, pid, AccessNeed.Read, cancellationToken);
        return TypedResults.Ok(DnsRecordView.From(await FindAsync(db, pid, id, tracked: false, cancellationToken)));
    }

    private static async Task<Results<Created<DnsRecordView>, Ok<DnsRecordView>>> UpsertAsync(
        string pid, DnsRecordReportRequest body, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, RegistryIds ids,
        HostnameBuilder hostnames, CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, ResourcesApi.ServiceWrite, cancellationToken);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        ResourcesApi.Required(problems, "hostname", body.Hostname, h => HostnameRules.Problem(h) is null, HostnameRules.Problem(body.Hostname) ?? string.Empty);
        ResourcesApi.Required(problems, "environment", body.Environment, PlatformEnvironments.IsValid, "must be dev, stg or prod");
        ResourcesApi.Required(problems, "recordType", body.RecordType, t => DnsRecordTypes.All.Contains(t), "must be custom_hostname or custom_domain");
        ResourcesApi.Required(problems, "target", body.Target, IsTarget, "must be 1–253 characters a-z 0-9 . -");
        ObjectLists.Check(problems, "stackId", body.StackId, IdFormat.IsStackId, "must be a 10-character stack id or 'default'");
        ObjectLists.Check(problems, "resourceId", body.ResourceId, v => RegistryIds.IsPrefixed(v, RegistryIds.Resource), "must be a resource id (res_…)");
        ObjectLists.Check(problems, "cfCustomHostnameId", body.CfCustomHostnameId, ReportRules.IsExternalId, "must be 1–64 characters A-Z a-z 0-9 _ -");
        ObjectLists.CheckEnum(problems, "sslStatus", body.SslStatus, SslStatuses.All);
        ObjectLists.ThrowIfAny(problems);

        var hostname = body.Hostname!;
        var stackId = body.StackId;
        if (body.RecordType == DnsRecordTypes.CustomHostname)
        {
            // <name>.<type>.[stg.|dev.]<stackId>.<platformId>.<platform domain>, and a given stackId must be the hostname's.
            var hostnameStack = HostnameRules.PlatformHostnameStack(hostnames, hostname, pid, EnvironmentNames.Parse(body.Environment));
            if (hostnameStack is null || (stackId is not null && stackId != hostnameStack))
            {
                throw ApiException.Validation("hostname",
                    $"an NNO hostname must be <name>.<type>.[stg.|dev.]<stackId>.{pid}.{hostnames.PlatformDomain} for its environment{(stackId is null ? "" : " and stack " + stackId)}");
            }

            stackId = hostnameStack;
        }
        else if (hostnames.IsUnderReservedDomain(hostname))
        {
            throw ApiException.Validation("hostname", "a customer domain may not be under the platform or the core domain");
        }

        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        if (stackId is not null && !await db.Stacks.AnyAsync(s => s.PlatformId == pid && s.Id == stackId && s.Status != StackStatuses.Deleted, cancellationToken))
        {
            throw ApiException.Validation("stackId", "not found");
        }

        if (body.ResourceId is { } resourceId && !await db.Resources.AnyAsync(r => r.PlatformId == pid && r.Id == resourceId && r.DeletedAt == null, cancellationToken))
        {
            throw ApiException.Validation("resourceId", "not found");
        }

        var row = await db.DnsRecords.FirstOrDefaultAsync(d => d.Hostname == hostname && d.DeletedAt == null, cancellationToken);
        if (row is not null && row.PlatformId != pid)
        {
            throw HostnameTaken(hostname);
        }

        var now = uow.Now;
        var created = row is null;
        if (row is null)
        {
            var ssl = body.SslStatus ?? SslStatuses.Pending;
            row = new DnsRecordRecord
            {
                Id = ids.New(RegistryIds.DnsRecord),
                PlatformId = pid,
                StackId = stackId,
                ResourceId = body.ResourceId,
                Environment = body.Environment!,
                Hostname = hostname,
                RecordType = body.RecordType!,
                Target = body.Target!,
                CfCustomHostnameId = body.CfCustomHostnameId,
                SslStatus = ssl,
                ActivatedAt = ssl == SslStatuses.Active ? now : null,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.DnsRecords.Add(row);
            uow.AddAudit(grant.Caller, "dns_record.reported", pid, "dns_record", row.Id, new
            {
                created = true, hostname, environment = row.Environment, recordType = row.RecordType, target = row.Target, stackId, sslStatus = ssl,
            });
        }
        else
        {
            var changes = AuditDetails.Changes();
            if (body.SslStatus is { } ssl && ObjectTransitions.Require(ObjectTransitions.Ssl, row.SslStatus, ssl))
            {
                ResourcesApi.Set(changes, "sslStatus", row.SslStatus, ssl, v => row.SslStatus = v);
                row.ActivatedAt = ssl == SslStatuses.Active ? now : row.ActivatedAt;
            }

            ResourcesApi.Set(changes, "environment", row.Environment, body.Environment!, v => row.Environment = v);
            ResourcesApi.Set(changes, "recordType", row.RecordType, body.RecordType!, v => row.RecordType = v);
            ResourcesApi.Set(changes, "target", row.Target, body.Target!, v => row.Target = v);
            if (stackId is not null)
            {
                ResourcesApi.Set(changes, "stackId", row.StackId, stackId, v => row.StackId = v);
            }

            if (body.ResourceId is not null)
            {
                ResourcesApi.Set(changes, "resourceId", row.ResourceId, body.ResourceId, v => row.ResourceId = v);
            }

            if (body.CfCustomHostnameId is not null)
            {
                ResourcesApi.Set(changes, "cfCustomHostnameId", row.CfCustomHostnameId, body.CfCustomHostnameId, v => row.CfCustomHostnameId = v);
            }

            if (changes.Count > 0)
            {
                row.UpdatedAt = now;
                uow.AddAudit(grant.Caller, "dns_record.reported", pid, "dns_record", row.Id, new { created = false, hostname, changes });
            }
        }

        try
        {
            await uow.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ConstraintViolations.IsUniqueViolation(ex))
        {
            // Another platform took the hostname between the read and the insert.
            throw HostnameTaken(hostname);
        }

        var view = DnsRecordView.From(row);
        return created ? TypedResults.Created($"{PlatformsApi.Path}/{pid}/dns-records/{row.Id}", view) : TypedResults.Ok(view);
    }

    private static async Task<Ok<DnsRecordView>> PatchAsync(
        string pid, string id, [FromBody] JsonElement body, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, CancellationToken cancellationToken)
    {
        var present = ReportRules.PresentFields(body);
        var patch = ReportRules.Read<DnsRecordPatchRequest>(body);
        var grant = await access.RequireAsync(context, pid, ResourcesApi.ServiceWrite, cancellationToken);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (present.Contains("sslStatus"))
        {
            ResourcesApi.Required(problems, "sslStatus", patch.SslStatus, s => SslStatuses.All.Contains(s), "must be pending, active or failed");
        }

        if (present.Contains("target"))
        {
            ResourcesApi.Required(problems, "target", patch.Target, IsTarget, "must be 1–253 characters a-z 0-9 . -");
        }

        if (patch.SslError is { } sslError && (Fields.FieldRules.ReasonProblem(sslError) is not null || sslError.Length > 1000))
        {
            problems["sslError"] = ["must be 1–1000 characters without control or bidi-override characters"];
        }

        ObjectLists.Check(problems, "cfCustomHostnameId", patch.CfCustomHostnameId, ReportRules.IsExternalId, "must be 1–64 characters A-Z a-z 0-9 _ -");
        ObjectLists.ThrowIfAny(problems);

        await uow.BeginAsync(cancellationToken);
        var row = await FindAsync(uow.Db, pid, id, tracked: true, cancellationToken);
        if (row.DeletedAt is not null)
        {
            throw new ApiException(ErrorCodes.Conflict, "The DNS record is deleted.", new { deletedAt = DateTimeOffset.FromUnixTimeMilliseconds(row.DeletedAt.Value) });
        }

        var changes = AuditDetails.Changes();
        if (present.Contains("sslStatus") && ObjectTransitions.Require(ObjectTransitions.Ssl, row.SslStatus, patch.SslStatus!))
        {
            ResourcesApi.Set(changes, "sslStatus", row.SslStatus, patch.SslStatus!, v => row.SslStatus = v);
            row.ActivatedAt = row.SslStatus == SslStatuses.Active ? uow.Now : row.ActivatedAt;
        }

        if (present.Contains("sslError"))
        {
            ResourcesApi.Set(changes, "sslError", row.SslError, patch.SslError?.Trim(), v => row.SslError = v);
        }

        if (present.Contains("cfCustomHostnameId"))
        {
            ResourcesApi.Set(changes, "cfCustomHostnameId", row.CfCustomHostnameId, patch.CfCustomHostnameId, v => row.CfCustomHostnameId = v);
        }

        if (present.Contains("target"))
        {
            ResourcesApi.Set(changes, "target", row.Target, patch.Target!, v => row.Target = v);
        }

        if (changes.Count > 0)
        {
            row.UpdatedAt = uow.Now;
            uow.AddAudit(grant.Caller, "dns_record.updated", pid, "dns_record", row.Id, new { hostname = row.Hostname, changes });
        }

        await uow.CommitAsync(cancellationToken);
        return TypedResults.Ok(DnsRecordView.From(row));
    }

    private static async Task<NoContent> DeleteAsync(
        string pid, string id, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, ResourcesApi.ServiceWrite, cancellationToken);
        await uow.BeginAsync(cancellationToken);
        var row = await FindAsync(uow.Db, pid, id, tracked: true, cancellationToken);
        if (row.DeletedAt is null)
        {
            row.DeletedAt = uow.Now;
            row.UpdatedAt = uow.Now;
            uow.AddAudit(grant.Caller, "dns_record.deleted", pid, "dns_record", row.Id, new { hostname = row.Hostname });
        }

        await uow.CommitAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<DnsRecordRecord> FindAsync(RegistryDbContext db, string pid, string id, bool tracked, CancellationToken cancellationToken)
    {
        if (!RegistryIds.IsPrefixed(id, RegistryIds.DnsRecord))
        {
            throw ApiException.NotFound("dns_record");
        }

        var query = tracked ? db.DnsRecords : db.DnsRecords.AsNoTracking();
        return await query.FirstOrDefaultAsync(d => d.PlatformId == pid && d.Id == id, cancellationToken) ?? throw ApiException.NotFound("dns_record");
    }

    private static ApiException HostnameTaken(string hostname) =>
        new(ErrorCodes.Conflict, $"The hostname {hostname} is live on another platform.", new { field = "hostname" });

    private static bool IsTarget(string value) =>
        value.Length is >= 1 and <= Hostnames.MaxLength && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-');
}
