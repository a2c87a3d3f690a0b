using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Registry.Access;
using Nno.Registry.Audit;
using Nno.Registry.Data;
using Nno.Registry.Fields;
using Nno.Registry.Objects;
using Nno.Registry.Platforms;

namespace Nno.Registry.Resources;

/// <summary>Body of the internal secret-metadata <c>PUT</c>: metadata only (registry.md §3.8).</summary>
internal sealed record SecretMetadataRequest
{
    public string? Status { get; init; }

    public string? LastSetAt { get; init; }
}

/// <summary>
/// Provisioning's secret-metadata reports (registry.md §3.8). The Registry never holds a secret value: a body with a
/// <c>value</c>, <c>secret</c> or <c>plaintext</c> property anywhere (any depth, any case) is refused before anything is
/// read or stored, and the refusal names only the property's path.
/// </summary>
internal static partial class ResourcesApi
{
    private static readonly string[] ValueProperties = ["value", "secret", "plaintext"];

    private static readonly string[] ReportableSecretStatuses = [SecretStatuses.Pending, SecretStatuses.Set, SecretStatuses.Failed];

    private static async Task<Results<Created<SecretView>, Ok<SecretView>>> PutSecretAsync(
        string pid, string id, string name, [FromBody] JsonElement body, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow,
        RegistryIds ids, CancellationToken cancellationToken)
    {
        if (ValuePropertyPath(body, "") is { } path)
        {
            throw ApiException.Validation(path, "secret values are never sent to the Registry: report metadata only (status, lastSetAt)");
        }

        if (body.ValueKind != JsonValueKind.Object)
        {
            throw ApiException.Validation("body", "must be a JSON object");
        }

        var report = ReportRules.Read<SecretMetadataRequest>(body);
        var grant = await access.RequireAsync(context, pid, ServiceWrite, cancellationToken);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!SecretName().IsMatch(name))
        {
            problems["name"] = ["must match ^[A-Z][A-Z0-9_]{0,127}$"];
        }

        Required(problems, "status", report.Status, ReportableSecretStatuses.Contains, "must be pending, set or failed");
        var lastSetAt = FieldRules.ParseTimestamp(report.LastSetAt, out var timeProblem);
        if (timeProblem is not null)
        {
            problems["lastSetAt"] = [timeProblem];
        }

        ObjectLists.ThrowIfAny(problems);

        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var resource = await FindAsync(db, pid, id, tracked: false, cancellationToken);
        if (resource.Status == ResourceStatuses.Deleted)
        {
            throw new ApiException(ErrorCodes.Conflict, "The resource is deleted: its secrets can no longer be reported.", new { resourceStatus = resource.Status });
        }

        var row = await db.Secrets.FirstOrDefaultAsync(s => s.ResourceId == resource.Id && s.Name == name, cancellationToken);
        var now = uow.Now;
        var created = row is null;
        var isSet = report.Status == SecretStatuses.Set;
        var setAt = isSet ? lastSetAt?.ToUnixTimeMilliseconds() ?? now : (long?)null;
        var setBy = resource.ProvisionJobId ?? grant.Caller.ActorId;
        if (row is null)
        {
            row = new SecretRecord
            {
                Id = ids.New(RegistryIds.Secret),
                PlatformId = pid,
                ResourceId = resource.Id,
                Name = name,
                Environment = resource.Environment,
                Source = SecretSources.System,
                Status = report.Status!,
                Version = isSet ? 1 : 0,
                LastSetAt = setAt,
                LastSetBy = isSet ? setBy : null,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Secrets.Add(row);
        }
        else
        {
            row.Status = report.Status!;
            if (isSet)
            {
                row.Version++;
                row.LastSetAt = setAt;
                row.LastSetBy = setBy;
            }

            row.UpdatedAt = now;
        }

        uow.AddAudit(grant.Caller, isSet ? "secret.set" : "secret.reported", pid, "secret", row.Id, new
        {
            resourceId = resource.Id, name, status = row.Status, version = row.Version, created,
        });
        await CommitAsync(uow, cancellationToken);
        var view = SecretView.From(row);
        return created ? TypedResults.Created($"{PlatformsApi.Path}/{pid}/secrets?resourceId={resource.Id}", view) : TypedResults.Ok(view);
    }

    private static async Task<NoContent> DeleteSecretAsync(
        string pid, string id, string name, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, ServiceWrite, cancellationToken);
        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var resource = await FindAsync(db, pid, id, tracked: false, cancellationToken);
        var row = SecretName().IsMatch(name)
            ? await db.Secrets.FirstOrDefaultAsync(s => s.ResourceId == resource.Id && s.Name == name, cancellationToken)
            : null;
        if (row is null)
        {
            throw ApiException.NotFound("secret");
        }

        if (row.Status != SecretStatuses.Deleted)
        {
            uow.AddAudit(grant.Caller, "secret.deleted", pid, "secret", row.Id, new { resourceId = resource.Id, name, changes = new { status = new[] { row.Status, SecretStatuses.Deleted } } });
            row.Status = SecretStatuses.Deleted;
            row.UpdatedAt = uow.Now;
        }

        await uow.CommitAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>The path of the first <c>value</c>/<c>secret</c>/<c>plaintext</c> property in <paramref name="element"/>, or null.</summary>
    internal static string? ValuePropertyPath(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var here = path.Length == 0 ? property.Name : path + "." + property.Name;
                    if (ValueProperties.Contains(property.Name, StringComparer.OrdinalIgnoreCase))
                    {
                        return here;
                    }

                    if (ValuePropertyPath(property.Value, here) is { } nested)
                    {
                        return nested;
                    }
                }

                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (ValuePropertyPath(item, $"{(path.Length == 0 ? "body" : path)}[{index++}]") is { } nested)
                    {
                        return nested;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    [GeneratedRegex("^[A-Z][A-Z0-9_]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();
}
