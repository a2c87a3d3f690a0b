using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Environments;
using Nno.Core.Errors;
using Nno.Core.Naming;
using Nno.Core.Services;
using Nno.Provisioning.Bundles;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.ServiceDefaults.Idempotency;
using Nno.ServiceDefaults.Limits;
using Nno.ServiceDefaults.RequestContext;
using Nno.ServiceDefaults.Security;

namespace Nno.Provisioning.Api;

/// <summary>
/// P1–P9 (provisioning.md §3): each validates its body, checks the preconditions and answers 202 with the created or
/// coalesced job. Callers: the Registry's token or an operator; users get 403; other services 403.
/// </summary>
internal static class ProvisionApi
{
    public const string BasePath = "/api/v1/provision";

    /// <summary>Bodies over 64 KiB answer 413.</summary>
    public const long MaxBodyBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapProvisionJobs(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(BasePath).WithTags("Provisioning jobs")
            .AllowServices(NnoServices.Registry).WithIdempotency().WithRequestBodyLimit(MaxBodyBytes);
        group.MapPost("/platform", ProvisionPlatformAsync).WithName("ProvisionPlatform").WithSummary("P1: provision a platform environment (auth Worker, auth D1, hostnames, shell Pages project).");
        group.MapPost("/platform/deprovision", DeprovisionPlatformAsync).WithName("DeprovisionPlatform").WithSummary("P2: remove a platform's Cloudflare resources (from the ledger), optionally its data.");
        group.MapPost("/platform/auth-worker/redeploy", RedeployAuthWorkerAsync).WithName("RedeployAuthWorker").WithSummary("P3: new auth migrations and bundle, missing secrets.");
        group.MapPost("/feature/activate", ActivateFeatureAsync).WithName("ActivateFeature").WithSummary("P4: activate a feature for an entity in a stack and environment.");
        group.MapPost("/feature/deactivate", DeactivateFeatureAsync).WithName("DeactivateFeature").WithSummary("P5: deactivate a feature for an entity.");
        group.MapPost("/stack/activate", ActivateStackAsync).WithName("ActivateStack").WithSummary("P6: activate (or upgrade) a stack from a template or a definition.");
        group.MapPost("/stack/deactivate", DeactivateStackAsync).WithName("DeactivateStack").WithSummary("P7: deactivate a stack, optionally deleting its data.");
        group.MapPost("/custom-domain/add", AddCustomDomainAsync).WithName("AddCustomDomain").WithSummary("P8: attach a customer domain to a platform hostname.");
        group.MapPost("/custom-domain/remove", RemoveCustomDomainAsync).WithName("RemoveCustomDomain").WithSummary("P9: detach and remove a customer domain.");
        return app;
    }

    private static async Task<Accepted<JobAccepted>> ProvisionPlatformAsync(ProvisionPlatformRequest body, HttpContext context, JobCreator creator, HostnameBuilder hostnames, CancellationToken cancellationToken)
    {
        var principal = Callers.RequireMutation(context);
        var rules = new FieldRules();
        var pid = rules.PlatformId(body.PlatformId);
        var tier = rules.PlanTier(body.PlanTier);
        var email = rules.BillingEmail(body.BillingEmail);
        var entity = rules.OptionalEntityId("defaultEntityId", body.DefaultEntityId);
        var env = rules.OptionalEnvironment(body.Environment) ?? "prod";
        rules.ThrowIfAny();
        CheckNames(rules, "platformId", pid, IdFormatDefault, null, env, hostnames);
        rules.ThrowIfAny();
        var job = await creator.CreateAsync(
            Request(context, principal, JobTypes.ProvisionPlatform, pid, env, $"platform:{pid}:{env}", $"{pid}:{env}",
                new { platformId = pid, planTier = tier, billingEmail = email, defaultEntityId = entity, environment = env }, entityId: entity),
            cancellationToken);
        return Accepted(job);
    }

    private static async Task<Accepted<JobAccepted>> DeprovisionPlatformAsync(DeprovisionPlatformRequest body, HttpContext context, JobCreator creator, CancellationToken cancellationToken)
    {
        var principal = Callers.RequireMutation(context);
        var rules = new FieldRules();
        var pid = rules.PlatformId(body.PlatformId);
        var env = rules.OptionalEnvironment(body.Environment);
        var reason = rules.Reason(body.Reason);
        rules.ThrowIfAny();
        var scope = env ?? "*";
        var job = await creator.CreateAsync(
            Request(context, principal, JobTypes.DeprovisionPlatform, pid, env, $"platform:{pid}:{scope}", $"{pid}:{scope}",
                new { platformId = pid, environment = env, reason, purgeData = body.PurgeData ?? false }),
            cancellationToken);
        return Accepted(job);
    }

    private static async Task<Accepted<JobAccepted>> RedeployAuthWorkerAsync(RedeployAuthWorkerRequest body, HttpContext context, JobCreator creator, CancellationToken cancellationToken)
    {
        var principal = Callers.RequireMutation(context);
        var rules = new FieldRules();
        var pid = rules.PlatformId(body.PlatformId);
        var env = rules.Environment(body.Environment);
        var reason = rules.Reason(body.Reason);
        rules.ThrowIfAny();
        await creator.RequireProvisionedAsync(pid, env, cancellationToken);
        var job = await creator.CreateAsync(
            Request(context, principal, JobTypes.RedeployAuthWorker, pid, env, $"platform:{pid}:{env}", $"{pid}:{env}",
                new { platformId = pid, environment = env, rotateSecrets = body.RotateSecrets ?? false, reason }),
            cancellationToken);
        return Accepted(job);
    }

    private static async Task<Accepted<JobAccepted>> ActivateFeatureAsync(ActivateFeatureRequest body, HttpContext context, JobCreator creator, HostnameBuilder hostnames, CancellationToken cancellationToken)
    {
        var principal = Callers.RequireMutation(context);
        var rules = new FieldRules();
        var pid = rules.PlatformId(body.PlatformId);
        var entity = rules.EntityId(body.EntityId);
        var fid = rules.FeatureId(body.FeatureId);
        var version = rules.Version("featureVersion", body.FeatureVersion);
        var env = rules.Environment(body.Environment);
        var sid = rules.StackId(body.StackId, allowDefault: true, required: false);
        var config = rules.Config(body.Config);
        rules.ThrowIfAny();
        CheckNames(rules, "featureId", pid, sid, fid, env, hostnames);
        rules.ThrowIfAny();
        await creator.RequireProvisionedAsync(pid, env, cancellationToken);
        var job = await creator.CreateAsync(
            Request(context, principal, JobTypes.ActivateFeature, pid, env, $"feature:{pid}:{sid}:{fid}:{env}", $"{pid}:{env}",
                new { platformId = pid, entityId = entity, featureId = fid, featureVersion = version, environment = env, stackId = sid, config },
                entityId: entity, stackId: sid, featureId: fid, featureVersion: version),
            cancellationToken);
        return Accepted(job);
    }

    private static async Task<Accepted<JobAccepted>> DeactivateFeatureAsync(DeactivateFeatureRequest body, HttpContext context, JobCreator creator, CancellationToken cancellationToken)
    {
        var principal = Callers.RequireMutation(context);
        var rules = new FieldRules();
        var pid = rules.PlatformId(body.PlatformId);
        var entity = rules.EntityId(body.EntityId);
        var fid = rules.FeatureId(body.FeatureId);
        var env = rules.Environment(body.Environment);
        var sid = rules.StackId(body.StackId, allowDefault: true, required: false);
        rules.ThrowIfAny();
        await creator.RequireProvisionedAsync(pid, env, cancellationToken);
        var job = await creator.CreateAsync(
            Request(context, principal, JobTypes.DeactivateFeature, pid, env, $"feature:{pid}:{sid}:{fid}:{env}", $"{pid}:{env}",
                new { platformId = pid, entityId = entity, featureId = fid, environment = env, stackId = sid, deleteData = body.DeleteData ?? false },
                entityId: entity, stackId: sid, featureId: fid),
            cancellationToken);
        return Accepted(job);
    }

    private static async Task<Accepted<JobAccepted>> ActivateStackAsync(
        ActivateStackRequest body, HttpContext context, JobCreator creator, HostnameBuilder hostnames, BundleCatalogue catalogue, CancellationToken cancellationToken)
    {
        var principal = Callers.RequireMutation(context);
        var rules = new FieldRules();
        var pid = rules.PlatformId(body.PlatformId);
        var entity = rules.EntityId(body.EntityId);
        var sid = rules.StackId(body.StackId, allowDefault: false, required: true);
        var env = rules.Environment(body.Environment);
        var template = rules.TemplateName(body.TemplateName);
        var definition = body.Definition is { ValueKind: not System.Text.Json.JsonValueKind.Null } d ? d : (System.Text.Json.JsonElement?)null;
        string? version = null;
        if ((template is null) == (definition is null))
        {
            rules.Add("templateName", "give exactly one of templateName or definition");
        }
        else if (template is not null)
        {
            version = body.TemplateVersion is null or "latest" ? "latest" : rules.Version("templateVersion", body.TemplateVersion);
        }
        else
        {
            if (body.TemplateVersion is not null)
            {
                rules.Add("templateVersion", "goes with templateName only");
            }

            InlineStackDefinition.Check(rules, definition!.Value, catalogue);
        }

        rules.ThrowIfAny();
        CheckNames(rules, "stackId", pid, sid, null, env, hostnames);
        rules.ThrowIfAny();
        await creator.RequireProvisionedAsync(pid, env, cancellationToken);
        var job = await creator.CreateAsync(
            Request(context, principal, JobTypes.ActivateStack, pid, env, $"stack:{pid}:{sid}:{env}", $"{pid}:{env}",
                new { platformId = pid, entityId = entity, stackId = sid, environment = env, templateName = template, templateVersion = version, definition },
                entityId: entity, stackId: sid),
            cancellationToken);
        return Accepted(job);
    }

    private static async Task<Accepted<JobAccepted>> DeactivateStackAsync(DeactivateStackRequest body, HttpContext context, JobCreator creator, CancellationToken cancellationToken)
    {
        var principal = Callers.RequireMutation(context);
        var rules = new FieldRules();
        var pid = rules.PlatformId(body.PlatformId);
        var sid = rules.StackId(body.StackId, allowDefault: false, required: true);
        var env = rules.OptionalEnvironment(body.Environment);
        rules.ThrowIfAny();
        await creator.RequireProvisionedAsync(pid, env, cancellationToken);
        var scope = env ?? "*";
        var job = await creator.CreateAsync(
            Request(context, principal, JobTypes.DeactivateStack, pid, env, $"stack:{pid}:{sid}:{scope}", $"{pid}:{scope}",
                new { platformId = pid, stackId = sid, deleteData = body.DeleteData ?? false, environment = env }, stackId: sid),
            cancellationToken);
        return Accepted(job);
    }

    private static async Task<Accepted<JobAccepted>> AddCustomDomainAsync(
        AddCustomDomainRequest body, HttpContext context, JobCreator creator, ProvisioningDbContext db, HostnameBuilder hostnames, CancellationToken cancellationToken)
    {
        var principal = Callers.RequireMutation(context);
        var rules = new FieldRules();
        var pid = rules.PlatformId(body.PlatformId);
        var cdid = rules.CustomDomainId(body.CustomDomainId);
        var domain = rules.Domain("domain", body.Domain, hostnames);
        var target = rules.Domain("targetHostname", body.TargetHostname, hostnames);
        rules.ThrowIfAny();
        await creator.RequireProvisionedAsync(pid, null, cancellationToken);
        var hostname = await db.Resources.AsNoTracking()
            .Where(r => r.PlatformId == pid && r.Kind == ResourceKinds.CustomHostname && r.Name == target && r.Status == CfResourceStatuses.Active && r.CustomDomainId == null)
            .Select(r => new { r.Environment }).FirstOrDefaultAsync(cancellationToken)
            ?? throw new ApiException(ErrorCodes.Conflict, "targetHostname is not an active hostname of the platform.", new { reason = "target_not_found" });
        var env = hostname.Environment;
        var job = await creator.CreateAsync(
            Request(context, principal, JobTypes.AddCustomDomain, pid, env, $"domain:{pid}:{cdid}", $"{pid}:{env ?? "*"}",
                new { platformId = pid, customDomainId = cdid, domain, targetHostname = target }, customDomainId: cdid),
            cancellationToken);
        return Accepted(job);
    }

    private static async Task<Accepted<JobAccepted>> RemoveCustomDomainAsync(RemoveCustomDomainRequest body, HttpContext context, JobCreator creator, ProvisioningDbContext db, CancellationToken cancellationToken)
    {
        var principal = Callers.RequireMutation(context);
        var rules = new FieldRules();
        var pid = rules.PlatformId(body.PlatformId);
        var cdid = rules.CustomDomainId(body.CustomDomainId);
        rules.ThrowIfAny();
        await creator.RequireProvisionedAsync(pid, null, cancellationToken);
        // The environment of the target hostname the domain was added for (ordering, §4.5).
        var env = await db.Jobs.AsNoTracking()
            .Where(j => j.PlatformId == pid && j.Type == JobTypes.AddCustomDomain && j.CustomDomainId == cdid)
            .OrderByDescending(j => j.CreatedAt).Select(j => j.Environment).FirstOrDefaultAsync(cancellationToken);
        var job = await creator.CreateAsync(
            Request(context, principal, JobTypes.RemoveCustomDomain, pid, env, $"domain:{pid}:{cdid}", $"{pid}:{env ?? "*"}",
                new { platformId = pid, customDomainId = cdid }, customDomainId: cdid),
            cancellationToken);
        return Accepted(job);
    }

    private const string IdFormatDefault = "default";

    /// <summary>Derived Cloudflare names and hostnames must fit Cloudflare's rules (400 otherwise).</summary>
    private static void CheckNames(FieldRules rules, string field, string pid, string sid, string? fid, string env, HostnameBuilder hostnames)
    {
        if (!EnvironmentNames.TryParse(env, out NnoEnvironment environment))
        {
            return;
        }

        if (fid is not null)
        {
            rules.CloudflareName(field, $"{pid}-{sid}-{fid}{Suffix(env)}");
            if (!Hostnames.IsValid(hostnames.Feature(fid, sid, pid, environment)))
            {
                rules.Add(field, "gives an invalid hostname");
            }
        }
        else
        {
            rules.CloudflareName(field, $"{pid}-{sid}-auth-db{Suffix(env)}");
            rules.CloudflareName(field, $"{pid}-{env}-portal");
        }
    }

    private static string Suffix(string env) => env switch { "stg" => "-stg", "dev" => "-dev", _ => string.Empty };

    private static JobRequest Request(
        HttpContext context, NnoPrincipal principal, string type, string pid, string? env, string targetKey, string queueKey, object payload,
        string? entityId = null, string? stackId = null, string? featureId = null, string? featureVersion = null, string? customDomainId = null) =>
        new(type, pid, env, targetKey, queueKey, payload, Callers.RequestedBy(principal), RequestIdOf(context), Callers.IdempotencyKey(context),
            entityId, stackId, featureId, featureVersion, customDomainId);

    private static string? RequestIdOf(HttpContext context) => context.GetRequestIds().RequestId;

    private static Accepted<JobAccepted> Accepted(ProvisionJobRecord job) =>
        TypedResults.Accepted($"{BasePath}/jobs/{job.Id}", new JobAccepted(job.Id, job.Status));
}
