using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Core.Features;
using Nno.Core.Ids;
using Nno.Core.Pagination;
using Nno.Registry.Access;
using Nno.Registry.Data;
using Nno.Registry.Environments;
using Nno.Registry.Objects;
using Nno.Registry.Paging;
using Nno.Registry.Platforms;
using Nno.Registry.Resources;

namespace Nno.Registry.Features;

/// <summary>
/// The feature activation reads of registry.md §3.7: the list and one activation (op own adm mem), and the customer
/// secret metadata of the Worker an activation uses (own adm op).
/// </summary>
internal static class FeaturesReadApi
{
    public static IEndpointRouteBuilder MapFeatureReads(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(PlatformsApi.Path + "/{pid:pid}/features").WithTags("Features");
        group.MapGet("", ListAsync)
            .WithName("ListFeatureActivations").WithSummary("A platform's feature activations, oldest first; filters entityId, stackId, featureId, environment, status.");
        group.MapGet("/{faId}", GetAsync)
            .WithName("GetFeatureActivation").WithSummary("One feature activation.");
        group.MapGet("/{faId}/secrets", ListSecretsAsync)
            .WithName("ListFeatureSecrets").WithSummary("Customer secret metadata of the Worker this activation uses (never values); owners, admins, operators.");
        return app;
    }

    private static async Task<Ok<Page<FeatureActivationView>>> ListAsync(
        string pid, HttpContext context, PlatformAccess access, RegistryDbContext db, RegistryCursors cursors,
        [FromQuery] string? entityId, [FromQuery] string? stackId, [FromQuery] string? featureId, [FromQuery] string? environment,
        [FromQuery] string? status, CancellationToken cancellationToken)
    {
        await access.RequireAsync(context, pid, AccessNeed.Read, cancellationToken);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        ObjectLists.Check(problems, "entityId", entityId, IdFormat.IsEntityId, "must be a 10-character entity id");
        ObjectLists.Check(problems, "stackId", stackId, IdFormat.IsStackId, "must be a 10-character stack id or 'default'");
        ObjectLists.Check(problems, "featureId", featureId, FeatureIds.IsValid, FeatureIds.Rule);
        ObjectLists.CheckEnum(problems, "environment", environment, PlatformEnvironments.All);
        ObjectLists.CheckEnum(problems, "status", status, ActivationStatuses.All);
        ObjectLists.ThrowIfAny(problems);

        var rows = db.FeatureActivations.AsNoTracking().Where(a => a.PlatformId == pid);
        rows = entityId is null ? rows : rows.Where(a => a.EntityId == entityId);
        rows = stackId is null ? rows : rows.Where(a => a.StackId == stackId);
        rows = featureId is null ? rows : rows.Where(a => a.FeatureId == featureId);
        rows = environment is null ? rows : rows.Where(a => a.Environment == environment);
        rows = status is null ? rows : rows.Where(a => a.Status == status);
        return TypedResults.Ok(await ObjectLists.PageAsync(context, cursors, "features", pid,
            [("entityId", entityId), ("stackId", stackId), ("featureId", featureId), ("environment", environment), ("status", status)],
            rows, a => a.CreatedAt, a => a.Id, FeatureActivationView.From, cancellationToken));
    }

    private static async Task<Ok<FeatureActivationView>> GetAsync(
        string pid, string faId, HttpContext context, PlatformAccess access, RegistryDbContext db, CancellationToken cancellationToken)
    {
        await access.RequireAsync(context, pid, AccessNeed.Read, cancellationToken);
        return TypedResults.Ok(FeatureActivationView.From(await FindAsync(db, pid, faId, cancellationToken)));
    }

    private static async Task<Ok<Page<SecretView>>> ListSecretsAsync(
        string pid, string faId, HttpContext context, PlatformAccess access, RegistryDbContext db, RegistryCursors cursors, CancellationToken cancellationToken)
    {
        await access.RequireAsync(context, pid, AccessNeed.ManageRead, cancellationToken);
        var activation = await FindAsync(db, pid, faId, cancellationToken);

        // The secret belongs to the feature's shared Worker for that stack and environment (§3.7), not to the activation.
        var worker = db.Resources.AsNoTracking()
            .Where(r => r.PlatformId == pid && r.StackId == activation.StackId && r.FeatureId == activation.FeatureId
                && r.Environment == activation.Environment && r.Type == ResourceTypes.Worker && r.DeletedAt == null)
            .Select(r => r.Id);
        var rows = db.Secrets.AsNoTracking().Where(s => s.PlatformId == pid && s.Source == SecretSources.Customer && worker.Contains(s.ResourceId));
        return TypedResults.Ok(await ObjectLists.PageAsync(context, cursors, "feature-secrets", pid, [("faId", faId)],
            rows, s => s.CreatedAt, s => s.Id, SecretView.From, cancellationToken));
    }

    private static async Task<FeatureActivationRecord> FindAsync(RegistryDbContext db, string pid, string faId, CancellationToken cancellationToken)
    {
        var activation = RegistryIds.IsPrefixed(faId, RegistryIds.FeatureActivation)
            ? await db.FeatureActivations.AsNoTracking().FirstOrDefaultAsync(a => a.PlatformId == pid && a.Id == faId, cancellationToken)
            : null;
        return activation ?? throw ApiException.NotFound("activation");
    }
}
