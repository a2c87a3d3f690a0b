using System.Text.Json;
using Nno.Provisioning.Cloudflare;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Outbox;

namespace Nno.Provisioning.Steps.Common;

/// <summary>Where a hostname lives in the ledger: its environment and, for feature hostnames, stack and feature.</summary>
internal sealed record HostnameScope(string Environment, string? StackId = null, string? FeatureId = null);

/// <summary>
/// The "hostname" building blocks of provisioning.md §4.2, shared by the platform, feature and domain steps: a custom
/// hostname (list by hostname → create with HTTP validation and <c>custom_metadata</c>; reported to the Registry as a DNS
/// record), a zone Worker route <c>{h}/*</c> (create first, list on a duplicate), and a Pages project domain (GET →
/// POST). Each part is recorded in the step's <c>output_json</c> and in the ledger before the step completes; the undos
/// delete only what this job created (a missing one is already gone).
/// </summary>
internal static class HostnameSteps
{
    public const string HostnamePart = "hostname";
    public const string RoutePart = "route";
    public const string PagesDomainPart = "pagesDomain";

    /// <summary>The Registry's SSL status of a Cloudflare custom hostname.</summary>
    public static string SslStatus(CustomHostname hostname)
    {
        ArgumentNullException.ThrowIfNull(hostname);
        return hostname.Ssl?.Status == "active" && hostname.Status == "active" ? "active" : "pending";
    }

    /// <summary>Ensures the custom hostname <paramref name="hostname"/> and reports it as a DNS record pointing at <paramref name="target"/>.</summary>
    public static async Task<CfResourceRecord> EnsureCustomHostnameAsync(
        StepContext context, CloudflareClient cloudflare, string hostname, string target, HostnameScope scope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(cloudflare);
        ArgumentNullException.ThrowIfNull(scope);
        var metadata = new Dictionary<string, string> { ["platform_id"] = context.Job.PlatformId, ["environment"] = scope.Environment };
        var (found, ours) = await CreateOrAdopt.RunAsync(
            context,
            HostnamePart,
            () => cloudflare.FindCustomHostnameAsync(hostname, cancellationToken),
            () => cloudflare.CreateCustomHostnameAsync(hostname, CustomHostnameSslMethod.Http, metadata, cancellationToken),
            () => cloudflare.FindCustomHostnameAsync(hostname, cancellationToken),
            cancellationToken);
        CreateOrAdopt.Remember(context, HostnamePart, found.Id, ours);
        var ssl = SslStatus(found);
        var targetResource = await LedgerReports.TargetResourceAsync(context.Db, context.Job.PlatformId, target, cancellationToken);
        var row = await context.RecordResourceAsync(
            new LedgerEntry(ResourceKinds.CustomHostname, hostname, found.Id, scope.Environment, scope.StackId, scope.FeatureId, SslStatus: ssl,
                MetaJson: JsonSerializer.Serialize(new { target })),
            ours || context.Step.CreatedByJob,
            r => [LedgerReports.DnsRecord(r, target, targetResource, ssl)],
            cancellationToken);
        return row;
    }

    /// <summary>Ensures the zone route <c>{hostname}/*</c> to <paramref name="script"/>; a duplicate pattern is looked up in the route list.</summary>
    public static async Task<CfResourceRecord> EnsureWorkerRouteAsync(
        StepContext context, CloudflareClient cloudflare, string hostname, string script, HostnameScope scope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(cloudflare);
        ArgumentNullException.ThrowIfNull(scope);
        var pattern = CloudflareNames.RoutePattern(hostname);
        var (rememberedId, rememberedOurs) = CreateOrAdopt.Remembered(context, RoutePart);
        WorkerRoute route;
        bool ours;
        if (rememberedId is not null)
        {
            // Created (or adopted) earlier in this run; only the ledger write is left.
            (route, ours) = (new WorkerRoute(rememberedId, pattern, script), rememberedOurs);
        }
        else
        {
            // Routes are created first and looked up on a duplicate (§4.3).
            (route, ours) = await CreateOrAdopt.RunAsync<WorkerRoute>(
                context,
                RoutePart,
                check: null,
                () => cloudflare.CreateWorkerRouteAsync(pattern, script, cancellationToken),
                () => cloudflare.FindWorkerRouteAsync(pattern, cancellationToken),
                cancellationToken);
            if (route.Script is { } other && !string.Equals(other, script, StringComparison.Ordinal))
            {
                throw StepFailureException.Permanent(JobErrorCodes.CfApiError, $"The route {pattern} already sends traffic to another script ({other}).");
            }

            CreateOrAdopt.Remember(context, RoutePart, route.Id, ours);
        }

        return await context.RecordResourceAsync(
            new LedgerEntry(ResourceKinds.WorkerRoute, pattern, route.Id, scope.Environment, scope.StackId, scope.FeatureId,
                MetaJson: JsonSerializer.Serialize(new { script, hostname })),
            ours || context.Step.CreatedByJob,
            null,
            cancellationToken);
    }

    /// <summary>Ensures <paramref name="hostname"/> as a custom domain of the Pages project <paramref name="project"/>.</summary>
    public static async Task<CfResourceRecord> EnsurePagesDomainAsync(
        StepContext context, CloudflareClient cloudflare, string project, string hostname, HostnameScope scope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(cloudflare);
        ArgumentNullException.ThrowIfNull(scope);
        var (domain, ours) = await CreateOrAdopt.RunAsync(
            context,
            PagesDomainPart,
            () => cloudflare.GetPagesDomainAsync(project, hostname, cancellationToken),
            () => cloudflare.CreatePagesDomainAsync(project, hostname, cancellationToken),
            () => cloudflare.GetPagesDomainAsync(project, hostname, cancellationToken),
            cancellationToken);
        var id = CloudflareIds.IsValid(domain.Id) ? domain.Id! : hostname;
        CreateOrAdopt.Remember(context, PagesDomainPart, id, ours);
        return await context.RecordResourceAsync(
            new LedgerEntry(ResourceKinds.PagesDomain, hostname, id, scope.Environment, scope.StackId, scope.FeatureId,
                MetaJson: JsonSerializer.Serialize(new { project })),
            ours || context.Step.CreatedByJob,
            null,
            cancellationToken);
    }

    /// <summary>Undoes the route part: deletes it when this job created it (looked up by pattern when its id was never learnt).</summary>
    public static async Task UndoWorkerRouteAsync(StepContext context, CloudflareClient cloudflare, string hostname, string script, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(cloudflare);
        var pattern = CloudflareNames.RoutePattern(hostname);
        var (id, created) = CreateOrAdopt.Remembered(context, RoutePart);
        if (id is null && CreateOrAdopt.Attempts(context, RoutePart) > 0)
        {
            // A create call was made but its answer never arrived: the name tells whether it exists.
            var found = await cloudflare.FindWorkerRouteAsync(pattern, cancellationToken);
            (id, created) = found is not null && found.Script == script ? (found.Id, true) : (null, false);
        }

        if (id is null || !created)
        {
            return;
        }

        await cloudflare.DeleteWorkerRouteAsync(id, cancellationToken);
        await CreateOrAdopt.MarkOursDeletedAsync(context, ResourceKinds.WorkerRoute, pattern, null, cancellationToken);
    }

    /// <summary>Undoes the Pages domain part.</summary>
    public static async Task UndoPagesDomainAsync(StepContext context, CloudflareClient cloudflare, string project, string hostname, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(cloudflare);
        var (id, created) = CreateOrAdopt.Remembered(context, PagesDomainPart);
        var unknown = id is null && CreateOrAdopt.Attempts(context, PagesDomainPart) > 0;
        if (!created && !unknown)
        {
            return;
        }

        await cloudflare.DeletePagesDomainAsync(project, hostname, cancellationToken);
        await CreateOrAdopt.MarkOursDeletedAsync(context, ResourceKinds.PagesDomain, hostname, null, cancellationToken);
    }

    /// <summary>Undoes the custom hostname part and deletes its DNS record in the Registry.</summary>
    public static async Task UndoCustomHostnameAsync(StepContext context, CloudflareClient cloudflare, string hostname, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(cloudflare);
        var (id, created) = CreateOrAdopt.Remembered(context, HostnamePart);
        if (id is null && CreateOrAdopt.Attempts(context, HostnamePart) > 0)
        {
            var found = await cloudflare.FindCustomHostnameAsync(hostname, cancellationToken);
            (id, created) = found is not null ? (found.Id, true) : (null, false);
        }

        if (id is null || !created)
        {
            return;
        }

        await cloudflare.DeleteCustomHostnameAsync(id, cancellationToken);
        var row = await context.FindLedgerAsync(ResourceKinds.CustomHostname, hostname, cancellationToken);
        if (row is not null && row.CreatedByJobId == context.Job.Id)
        {
            var reported = await CreateOrAdopt.WasReportedAsync(context, row, cancellationToken);
            await context.MarkDeletedAsync(row, r => reported ? [RegistryReports.DeleteDnsRecord(r)] : [], cancellationToken);
        }
    }
}
