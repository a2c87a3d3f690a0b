using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Core.Json;
using Nno.Core.Pagination;
using Nno.Core.Services;
using Nno.Registry.Access;
using Nno.Registry.Audit;
using Nno.Registry.Data;
using Nno.Registry.Objects;
using Nno.Registry.Paging;
using Nno.Registry.Platforms;
using Nno.ServiceDefaults.Security;

namespace Nno.Registry.Resources;

/// <summary>One DNS record a customer must create to verify a domain: <c>{type: "TXT"|"CNAME", name, value}</c>.</summary>
internal sealed record VerificationRecord
{
    public string? Type { get; init; }

    public string? Name { get; init; }

    public string? Value { get; init; }
}

/// <summary>Body of the internal <c>PATCH /custom-domains/{id}</c> (registry.md §3.8).</summary>
internal sealed record CustomDomainPatchRequest
{
    public string? Status { get; init; }

    public string? SslStatus { get; init; }

    public IReadOnlyList<VerificationRecord>? VerificationRecords { get; init; }

    public string? DnsRecordId { get; init; }

    public ReportedError? LastError { get; init; }
}

/// <summary>
/// Custom domains of registry.md §3.8: the reads (op own adm mem) and Provisioning's status reports. Creating and removing a
/// domain (customer writes that start jobs) are not here.
/// </summary>
internal static class CustomDomainsApi
{
    private const int MaxVerificationRecords = 10;

    public static IEndpointRouteBuilder MapCustomDomainReadsAndReports(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(PlatformsApi.Path + "/{pid:pid}/custom-domains").WithTags("Custom domains");
        group.MapGet("", ListAsync)
            .WithName("ListCustomDomains").WithSummary("A platform's custom domains, oldest first; filter status.");
        group.MapGet("/{id}", GetAsync)
            .WithName("GetCustomDomain").WithSummary("One custom domain with its verification records.");
        group.MapPatch("/{id}", PatchAsync)
            .WithName("UpdateCustomDomain").WithSummary("Internal (Provisioning): status, sslStatus, verificationRecords, dnsRecordId, lastError; 'removed' is final.")
            .ServiceOnly(NnoServices.Provisioning);
        return app;
    }

    private static async Task<Ok<Page<CustomDomainView>>> ListAsync(
        string pid, HttpContext context, PlatformAccess access, RegistryDbContext db, RegistryCursors cursors, [FromQuery] string? status,
        CancellationToken cancellationToken)
    {
        await access.RequireAsync(context, pid, AccessNeed.Read, cancellationToken);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        ObjectLists.CheckEnum(problems, "status", status, CustomDomainStatuses.All);
        ObjectLists.ThrowIfAny(problems);

        var rows = db.CustomDomains.AsNoTracking().Where(d => d.PlatformId == pid);
        rows = status is null ? rows : rows.Where(d => d.Status == status);
        return TypedResults.Ok(await ObjectLists.PageAsync(context, cursors, "custom-domains", pid, [("status", status)],
            rows, d => d.CreatedAt, d => d.Id, CustomDomainView.From, cancellationToken));
    }

    private static async Task<Ok<CustomDomainView>> GetAsync(string pid, string id, HttpContext context, PlatformAccess access, RegistryDbContext db, CancellationToken cancellationToken)
    {
        await access.RequireAsync(context, pid, AccessNeed.Read, cancellationToken);
        return TypedResults.Ok(CustomDomainView.From(await FindAsync(db, pid, id, tracked: false, cancellationToken)));
    }

    private static async Task<Ok<CustomDomainView>> PatchAsync(
        string pid, string id, [FromBody] JsonElement body, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, CancellationToken cancellationToken)
    {
        var present = ReportRules.PresentFields(body);
        var patch = ReportRules.Read<CustomDomainPatchRequest>(body);
        var grant = await access.RequireAsync(context, pid, ResourcesApi.ServiceWrite, cancellationToken);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (present.Contains("status"))
        {
            ResourcesApi.Required(problems, "status", patch.Status, s => CustomDomainStatuses.All.Contains(s), "must be one of " + string.Join(", ", CustomDomainStatuses.All));
        }

        if (present.Contains("sslStatus"))
        {
            ResourcesApi.Required(problems, "sslStatus", patch.SslStatus, s => SslStatuses.All.Contains(s), "must be pending, active or failed");
        }

        string? verification = null;
        if (present.Contains("verificationRecords"))
        {
            verification = VerificationJson(problems, patch.VerificationRecords);
        }

        ObjectLists.Check(problems, "dnsRecordId", patch.DnsRecordId, v => RegistryIds.IsPrefixed(v, RegistryIds.DnsRecord), "must be a DNS record id (dns_…)");
        var lastError = ReportRules.ErrorJson(problems, "lastError", patch.LastError);
        ObjectLists.ThrowIfAny(problems);

        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var row = await FindAsync(db, pid, id, tracked: true, cancellationToken);
        var status = present.Contains("status") ? patch.Status! : row.Status;
        ObjectTransitions.Require(ObjectTransitions.CustomDomain, row.Status, status, fromIsFinal: row.Status == CustomDomainStatuses.Removed);
        if (patch.DnsRecordId is { } dnsRecordId && !await db.DnsRecords.AnyAsync(d => d.PlatformId == pid && d.Id == dnsRecordId && d.DeletedAt == null, cancellationToken))
        {
            throw ApiException.Validation("dnsRecordId", "not found");
        }

        var now = uow.Now;
        var changes = AuditDetails.Changes();
        ResourcesApi.Set(changes, "status", row.Status, status, v => row.Status = v);
        if (present.Contains("sslStatus") && ObjectTransitions.Require(ObjectTransitions.Ssl, row.SslStatus, patch.SslStatus!))
        {
            ResourcesApi.Set(changes, "sslStatus", row.SslStatus, patch.SslStatus!, v => row.SslStatus = v);
        }

        if (verification is not null)
        {
            ResourcesApi.Set(changes, "verificationRecords", row.VerificationRecords, verification, v => row.VerificationRecords = v);
        }

        if (present.Contains("dnsRecordId"))
        {
            ResourcesApi.Set(changes, "dnsRecordId", row.DnsRecordId, patch.DnsRecordId, v => row.DnsRecordId = v);
        }

        if (present.Contains("lastError"))
        {
            ResourcesApi.Set(changes, "lastError", row.LastError, lastError, v => row.LastError = v);
        }

        if (changes.Count > 0)
        {
            row.UpdatedAt = now;
            row.ActivatedAt = changes.ContainsKey("status") && status == CustomDomainStatuses.Active ? now : row.ActivatedAt;
            row.DeletedAt = status == CustomDomainStatuses.Removed ? now : row.DeletedAt;
            uow.AddAudit(grant.Caller, "custom_domain.updated", pid, "custom_domain", row.Id, new { domain = row.Domain, changes });
        }

        await uow.CommitAsync(cancellationToken);
        return TypedResults.Ok(CustomDomainView.From(row));
    }

    private static string? VerificationJson(Dictionary<string, string[]> problems, IReadOnlyList<VerificationRecord>? records)
    {
        if (records is null || records.Count > MaxVerificationRecords)
        {
            problems["verificationRecords"] = [$"must be an array of at most {MaxVerificationRecords} records"];
            return null;
        }

        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            if (record.Type is not ("TXT" or "CNAME"))
            {
                problems[$"verificationRecords[{i}].type"] = ["must be TXT or CNAME"];
            }

            if (record.Name is null || record.Name.Length is 0 or > 253 || record.Name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')))
            {
                problems[$"verificationRecords[{i}].name"] = ["must be a DNS name of 1–253 characters"];
            }

            if (record.Value is null || record.Value.Length is 0 or > 1024 || record.Value.Any(char.IsControl))
            {
                problems[$"verificationRecords[{i}].value"] = ["must be 1–1024 characters without control characters"];
            }
        }

        return JsonSerializer.Serialize(records.Select(r => new { type = r.Type, name = r.Name, value = r.Value }), NnoJson.Options);
    }

    private static async Task<CustomDomainRecord> FindAsync(RegistryDbContext db, string pid, string id, bool tracked, CancellationToken cancellationToken)
    {
        if (!RegistryIds.IsPrefixed(id, RegistryIds.CustomDomain))
        {
            throw ApiException.NotFound("custom_domain");
        }

        var query = tracked ? db.CustomDomains : db.CustomDomains.AsNoTracking();
        return await query.FirstOrDefaultAsync(d => d.PlatformId == pid && d.Id == id, cancellationToken) ?? throw ApiException.NotFound("custom_domain");
    }
}
