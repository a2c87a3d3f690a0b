using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Environments;
using Nno.Core.Errors;
using Nno.Core.Services;
using Nno.Provisioning.Bundles;
using Nno.Provisioning.Cloudflare;
using Nno.Provisioning.Cloudflare.Workers;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Steps.Features;
using Nno.ServiceDefaults.Limits;
using Nno.ServiceDefaults.Security;

namespace Nno.Provisioning.Api;

/// <summary>
/// P15/P16 (provisioning.md §3): a customer's feature secret goes straight to the feature Worker found in the ledger.
/// Synchronous: no job, no queue, no database row, no idempotency record (the routes are not marked for it), and the value
/// is never logged (nothing in the pipeline logs bodies; the Cloudflare client logs method, path and status only).
/// Only the Registry may call: another service gets 403, users and operators 404 (service-only route).
/// </summary>
internal static partial class SecretsApi
{
    public const string BasePath = ProvisionApi.BasePath + "/secrets";

    /// <summary>Largest secret value, in UTF-8 bytes.</summary>
    public const int MaxValueBytes = 8 * 1024;

    /// <summary>Seconds a 503 asks the Registry to wait when Cloudflare's 429 carried no <c>Retry-After</c> (§4.5 default).</summary>
    public const int DefaultRetryAfterSeconds = 300;

    public static IEndpointRouteBuilder MapProvisionSecrets(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(BasePath).WithTags("Feature secrets")
            .ServiceOnly(NnoServices.Registry).WithRequestBodyLimit(ProvisionApi.MaxBodyBytes);
        const string path = "/{platformId}/{environment}/{stackId}/{featureId}/{name}";
        group.MapPut(path, SetAsync).WithName("SetFeatureSecret").WithSummary("P15: write a customer's secret to the feature Worker (synchronous, never stored).");
        group.MapDelete(path, DeleteAsync).WithName("DeleteFeatureSecret").WithSummary("P16: delete a customer's secret from the feature Worker (a missing secret counts as deleted).");
        return app;
    }

    private static async Task<Ok<SecretSet>> SetAsync(
        string platformId, string environment, string stackId, string featureId, string name, SetSecretRequest body,
        HttpContext context, ProvisioningDbContext db, BundleCatalogue catalogue, CloudflareClient cloudflare, CancellationToken cancellationToken)
    {
        context.RequirePrincipal();
        var rules = new FieldRules();
        var place = Place(rules, platformId, environment, stackId, featureId, name);
        var value = body.Value;
        if (value is null)
        {
            rules.Add("value", "is required");
        }
        else if (value.Length == 0 || Encoding.UTF8.GetByteCount(value) > MaxValueBytes)
        {
            rules.Add("value", $"must be 1 to {MaxValueBytes} bytes");
        }

        rules.ThrowIfAny();
        var worker = await FindWorkerAsync(db, place, cancellationToken);
        if (DeclaredBindings(catalogue, place.FeatureId, FeatureOps.VersionOf(worker)).Contains(place.Name))
        {
            throw ApiException.Validation("name", "shadows a binding the feature's bundle declares");
        }

        await CallCloudflareAsync(() => cloudflare.PutWorkerSecretAsync(worker.Name, place.Name, value!, cancellationToken));
        return TypedResults.Ok(new SecretSet(place.Name, worker.Name, "set"));
    }

    private static async Task<NoContent> DeleteAsync(
        string platformId, string environment, string stackId, string featureId, string name,
        HttpContext context, ProvisioningDbContext db, CloudflareClient cloudflare, CancellationToken cancellationToken)
    {
        context.RequirePrincipal();
        var rules = new FieldRules();
        var place = Place(rules, platformId, environment, stackId, featureId, name);
        rules.ThrowIfAny();
        var worker = await FindWorkerAsync(db, place, cancellationToken);
        // DeleteWorkerSecretAsync answers false for a secret that was not there: deleted either way.
        await CallCloudflareAsync(() => cloudflare.DeleteWorkerSecretAsync(worker.Name, place.Name, cancellationToken));
        return TypedResults.NoContent();
    }

    private sealed record SecretPlace(string PlatformId, PlatformEnvironment Environment, string StackId, string FeatureId, string Name);

    private static SecretPlace Place(FieldRules rules, string platformId, string environment, string stackId, string featureId, string name)
    {
        var pid = rules.PlatformId(platformId);
        var env = rules.Environment(environment);
        var sid = rules.StackId(stackId, allowDefault: true, required: true);
        var fid = rules.FeatureId(featureId);
        if (!SecretNamePattern().IsMatch(name))
        {
            rules.Add("name", "must match ^[A-Z][A-Z0-9_]{0,127}$");
        }

        rules.ThrowIfAny();
        return new SecretPlace(pid, EnvironmentNames.ParsePlatform(env), sid, fid, name);
    }

    /// <summary>The active ledger row of the feature Worker <c>{pid}-{sid}-{fid}{sfx}</c>, or 404 <c>resource: "worker"</c>.</summary>
    private static async Task<CfResourceRecord> FindWorkerAsync(ProvisioningDbContext db, SecretPlace place, CancellationToken ct)
    {
        var name = CloudflareNames.FeatureWorker(place.PlatformId, place.StackId, place.FeatureId, place.Environment);
        return await db.Resources.AsNoTracking()
            .Where(r => r.PlatformId == place.PlatformId && r.Kind == ResourceKinds.Worker && r.Name == name && r.Status == CfResourceStatuses.Active)
            .FirstOrDefaultAsync(ct)
            ?? throw ApiException.NotFound("worker", "The feature has no Worker in this stack and environment.");
    }

    /// <summary>
    /// The binding names an upload of the Worker's bundle declares. The ledger's version normally names a shipped bundle;
    /// otherwise every bundle of the feature (or of the catalogue) counts, so a secret never shadows a later upload's binding.
    /// </summary>
    private static HashSet<string> DeclaredBindings(BundleCatalogue catalogue, string featureId, string? version)
    {
        var bundles = catalogue.Features.Where(f => f.FeatureId == featureId && (version is null || f.Version == version)).ToList();
        if (bundles.Count == 0)
        {
            bundles = [.. catalogue.Features.Where(f => f.FeatureId == featureId)];
        }

        if (bundles.Count == 0)
        {
            bundles = [.. catalogue.Features];
        }

        return bundles.SelectMany(WorkerUploadBuilder.DeclaredBindingNames).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Cloudflare failures as §3 says: 429 (or the token's 429 pause, or no budget permit) → 503 with <c>Retry-After</c>; others → 502.</summary>
    private static async Task CallCloudflareAsync(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (CloudflareBudgetExhaustedException e)
        {
            throw ApiException.Unavailable("Cloudflare is rate-limiting NNO; try again later.", Seconds(e.RetryAfter));
        }
        catch (CloudflareApiException e) when (e.Kind == CloudflareFailureKind.ApiError && e.IsRateLimited)
        {
            throw ApiException.Unavailable("Cloudflare is rate-limiting NNO; try again later.", e.RetryAfter is { } after ? Seconds(after) : DefaultRetryAfterSeconds);
        }
        catch (CloudflareApiException e) when (e.HasCode(CloudflareApiException.WorkerNotFoundCode))
        {
            // The ledger holds the Worker but Cloudflare does not (removed outside NNO): the same answer as no Worker.
            throw ApiException.NotFound("worker", "The feature's Worker does not exist in Cloudflare.");
        }
        catch (CloudflareApiException e)
        {
            // The message names method, path and status only (never the value).
            throw new ApiException(ErrorCodes.BadGateway, "Cloudflare refused or failed the call.", new { cloudflareStatus = (int?)e.StatusCode, codes = e.Codes.ToArray(), rayId = e.RayId });
        }
    }

    private static int Seconds(TimeSpan span) => Math.Max(1, (int)Math.Ceiling(span.TotalSeconds));

    [GeneratedRegex("^[A-Z][A-Z0-9_]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex SecretNamePattern();
}
