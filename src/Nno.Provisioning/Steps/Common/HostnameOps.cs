using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Provisioning.Cloudflare;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Outbox;

namespace Nno.Provisioning.Steps.Common;

/// <summary>What a hostname points at: a Worker script or the shell Pages project.</summary>
internal sealed record HostnameTarget(string? Script, string? PagesProject)
{
    public string Name => Script ?? PagesProject!;
}

/// <summary>
/// "Hostname" of §4.2: a custom hostname (<c>GET Z/custom_hostnames?hostname=</c> → <c>POST</c>) plus a Worker route
/// (create first, list on duplicate). The step's <c>create_attempts</c> counts the hostname's creates; the route's are
/// counted in <c>output_json.routeAttempts</c>. Ids go to the output, the ledger and the Registry before the step
/// completes. Ledger rows: <c>custom_hostname</c> named by the hostname, <c>worker_route</c> named by the pattern.
/// </summary>
internal static class HostnameOps
{
    private const string HostnameIdKey = "hostnameId";
    private const string HostnameCreatedKey = "hostnameCreated";
    private const string RouteIdKey = "routeId";
    private const string RouteCreatedKey = "routeCreated";
    private const string RouteAttemptsKey = "routeAttempts";

    /// <summary>Registry <c>sslStatus</c> of a Cloudflare custom hostname: <c>active</c>, <c>failed</c> or <c>pending</c>.</summary>
    public static string SslStatusOf(CustomHostname hostname)
    {
        ArgumentNullException.ThrowIfNull(hostname);
        var status = hostname.Ssl?.Status ?? hostname.Status;
        return status switch
        {
            "active" => "active",
            "validation_timed_out" or "issuance_timed_out" or "expired" or "deleted" or "blocked" or "moved" => "failed",
            _ => "pending",
        };
    }

    /// <summary>
    /// Ensures the custom hostname; records it in the ledger and reports the DNS record (with <c>resourceId</c>, the Registry
    /// id of the Worker or Pages project named <paramref name="target"/>, when the ledger has one). Returns the hostname
    /// and its ledger row.
    /// </summary>
    public static async Task<(CustomHostname Hostname, CfResourceRecord Row)> EnsureCustomHostnameAsync(
        StepContext context, string hostname, CustomHostnameSslMethod method, string? env, string? sid, string? featureId, string? customDomainId,
        string recordType, string target, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var cf = context.Services.GetRequiredService<CloudflareClient>();
        CustomHostname? found = await cf.FindCustomHostnameAsync(hostname, ct);
        bool ours;
        if (found is not null)
        {
            ours = context.FoundIsOurs;
        }
        else
        {
            await context.BeforeCreateAsync(ct);
            try
            {
                found = await cf.CreateCustomHostnameAsync(hostname, method,
                    new Dictionary<string, string> { ["platform_id"] = context.Job.PlatformId, ["environment"] = env ?? "" }, ct);
                ours = true;
            }
            catch (CloudflareApiException ex) when (ex.IsConflict)
            {
                found = await cf.FindCustomHostnameAsync(hostname, ct) ?? throw StepErrors.Vanished(ex);
                ours = context.ConflictIsOurs;
            }
        }

        context.Output[HostnameIdKey] = found.Id;
        context.Output[HostnameCreatedKey] = ours;
        var ssl = SslStatusOf(found);
        var meta = System.Text.Json.JsonSerializer.Serialize(new { target, recordType });
        var resourceId = RegistryReports.RegistryIdValue(await LedgerReports.TargetResourceAsync(context.Db, context.Job.PlatformId, target, ct));
        var row = await context.RecordResourceAsync(
            new LedgerEntry(ResourceKinds.CustomHostname, hostname, found.Id, env, sid, featureId, customDomainId, ssl, meta), ours,
            row => [RegistryReports.DnsRecord(row, new DnsRecordReport(hostname, env ?? "prod", recordType, target, sid ?? "default", resourceId, found.Id, ssl))],
            ct);
        return (found, row);
    }

    /// <summary>Ensures the Worker route <c>{pattern}</c> → <paramref name="script"/> (create first; on duplicate list routes).</summary>
    public static async Task<WorkerRoute> EnsureRouteAsync(StepContext context, string pattern, string script, string? env, string? sid, string? featureId, string? customDomainId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var cf = context.Services.GetRequiredService<CloudflareClient>();
        var attempts = StepOutputs.Int(context, RouteAttemptsKey) + 1;
        context.Output[RouteAttemptsKey] = attempts;
        await context.SaveAsync(ct);
        WorkerRoute route;
        bool ours;
        try
        {
            route = await cf.CreateWorkerRouteAsync(pattern, script, ct);
            ours = true;
        }
        catch (CloudflareApiException ex) when (ex.IsConflict)
        {
            route = await cf.FindWorkerRouteAsync(pattern, ct) ?? throw StepErrors.Vanished(ex);
            ours = attempts > 1;
        }

        context.Output[RouteIdKey] = route.Id;
        context.Output[RouteCreatedKey] = ours;
        var hostnameId = context.Step.CfId;
        var hostnameOurs = context.Step.CreatedByJob;
        await context.RecordResourceAsync(
            new LedgerEntry(ResourceKinds.WorkerRoute, pattern, route.Id, env, sid, featureId, customDomainId, null,
                System.Text.Json.JsonSerializer.Serialize(new { script })),
            ours, null, ct);
        // The step names the hostname; it counts as this job's when either part is.
        context.Step.CfId = hostnameId ?? route.Id;
        context.Step.CreatedByJob = hostnameOurs || ours;
        await context.SaveAsync(ct);
        return route;
    }

    /// <summary>Hostname and route of a Worker (auth, features): §4.2 "hostname + route".</summary>
    public static async Task RegisterWorkerHostnameAsync(StepContext context, string hostname, string script, string env, string sid, string? featureId, CancellationToken ct)
    {
        await EnsureCustomHostnameAsync(context, hostname, CustomHostnameSslMethod.Http, env, sid, featureId, null, "custom_hostname", script, ct);
        await EnsureRouteAsync(context, CloudflareNames.RoutePattern(hostname), script, env, sid, featureId, null, ct);
    }

    /// <summary>Undo of a registration: the route, then the hostname, each only when this job created it.</summary>
    public static async Task<StepOutcome> UndoRegistrationAsync(StepContext context, string hostname, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var cf = context.Services.GetRequiredService<CloudflareClient>();
        var pattern = CloudflareNames.RoutePattern(hostname);
        if (StepOutputs.Flag(context, RouteCreatedKey) || (StepOutputs.String(context, RouteIdKey) is null && StepOutputs.Int(context, RouteAttemptsKey) > 0))
        {
            var routeId = StepOutputs.String(context, RouteIdKey) ?? (await cf.FindWorkerRouteAsync(pattern, ct))?.Id;
            if (routeId is not null)
            {
                await cf.DeleteWorkerRouteAsync(routeId, ct);
            }

            await MarkDeletedAsync(context, ResourceKinds.WorkerRoute, pattern, ct);
        }

        if (StepOutputs.Flag(context, HostnameCreatedKey) || (StepOutputs.String(context, HostnameIdKey) is null && context.Step.CreateAttempts > 0))
        {
            var id = StepOutputs.String(context, HostnameIdKey) ?? (await cf.FindCustomHostnameAsync(hostname, ct))?.Id;
            if (id is not null)
            {
                await cf.DeleteCustomHostnameAsync(id, ct);
            }

            await MarkDeletedAsync(context, ResourceKinds.CustomHostname, hostname, ct);
        }

        return StepOutcome.Done;
    }

    /// <summary>Marks an active ledger row deleted (a hostname also deletes its Registry DNS record).</summary>
    public static async Task MarkDeletedAsync(StepContext context, string kind, string name, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (await context.FindLedgerAsync(kind, name, ct) is { } row)
        {
            await context.MarkDeletedAsync(row, r => kind == ResourceKinds.CustomHostname ? [RegistryReports.DeleteDnsRecord(r)] : [], ct);
        }
    }

    /// <summary>
    /// Removes a registration the ledger knows (DEACTIVATE_FEATURE 2–3, DEACTIVATE_STACK, REMOVE_CUSTOM_DOMAIN): deletes
    /// it in Cloudflare (404 = gone), marks the row deleted and remembers what it removed so the undo can re-create it.
    /// Returns false when the ledger had nothing.
    /// </summary>
    public static async Task<bool> RemoveAsync(StepContext context, string kind, string name, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var row = await context.FindLedgerAsync(kind, name, ct);
        if (row is null)
        {
            return false;
        }

        var cf = context.Services.GetRequiredService<CloudflareClient>();
        var removed = context.Output["removed"] as System.Text.Json.Nodes.JsonArray ?? [];
        removed.Add(new System.Text.Json.Nodes.JsonObject
        {
            ["kind"] = kind, ["name"] = name, ["cfId"] = row.CfId, ["meta"] = row.MetaJson, ["environment"] = row.Environment,
            ["stackId"] = row.StackId, ["featureId"] = row.FeatureId, ["customDomainId"] = row.CustomDomainId,
        });
        context.Output["removed"] = removed;
        context.Output[StepOutputs.UndoNeeded] = true;
        context.Step.CfId = row.CfId;
        await context.SaveAsync(ct);
        _ = kind == ResourceKinds.WorkerRoute ? await cf.DeleteWorkerRouteAsync(row.CfId, ct) : await cf.DeleteCustomHostnameAsync(row.CfId, ct);
        await context.MarkDeletedAsync(row, r => kind == ResourceKinds.CustomHostname ? [RegistryReports.DeleteDnsRecord(r)] : [], ct);
        return true;
    }

    /// <summary>Undo of <see cref="RemoveAsync"/>: re-creates each removed hostname or route (with a fresh ledger row and report).</summary>
    public static async Task<StepOutcome> UndoRemoveAsync(StepContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Output["removed"] is not System.Text.Json.Nodes.JsonArray removed || removed.Count == 0)
        {
            return StepOutcome.Skipped;
        }

        foreach (var item in removed.OfType<System.Text.Json.Nodes.JsonObject>())
        {
            var kind = item["kind"]!.GetValue<string>();
            var name = item["name"]!.GetValue<string>();
            var env = item["environment"]?.GetValue<string>();
            var sid = item["stackId"]?.GetValue<string>();
            var fid = item["featureId"]?.GetValue<string>();
            var cdid = item["customDomainId"]?.GetValue<string>();
            var meta = System.Text.Json.JsonDocument.Parse(item["meta"]?.GetValue<string>() ?? "{}").RootElement;
            if (kind == ResourceKinds.WorkerRoute)
            {
                var script = StepNames.String(meta, "script") ?? throw StepFailureException.Permanent(JobErrorCodes.CfApiError, $"The removed route {name} names no script.");
                await RecreateRouteAsync(context, name, script, env, sid, fid, cdid, ct);
            }
            else
            {
                var method = cdid is null ? CustomHostnameSslMethod.Http : CustomHostnameSslMethod.Txt;
                var recordType = StepNames.String(meta, "recordType") ?? (cdid is null ? "custom_hostname" : "custom_domain");
                var target = StepNames.String(meta, "target") ?? name;
                await RecreateHostnameAsync(context, name, method, env, sid, fid, cdid, recordType, target, ct);
            }
        }

        return StepOutcome.Done;
    }

    private static async Task RecreateRouteAsync(StepContext context, string pattern, string script, string? env, string? sid, string? fid, string? cdid, CancellationToken ct)
    {
        var cf = context.Services.GetRequiredService<CloudflareClient>();
        WorkerRoute route;
        try
        {
            route = await cf.CreateWorkerRouteAsync(pattern, script, ct);
        }
        catch (CloudflareApiException ex) when (ex.IsConflict)
        {
            route = await cf.FindWorkerRouteAsync(pattern, ct) ?? throw StepErrors.Vanished(ex);
        }

        var cfId = context.Step.CfId;
        var createdByJob = context.Step.CreatedByJob;
        await context.RecordResourceAsync(
            new LedgerEntry(ResourceKinds.WorkerRoute, pattern, route.Id, env, sid, fid, cdid, null, System.Text.Json.JsonSerializer.Serialize(new { script })),
            false, null, ct);
        context.Step.CfId = cfId;
        context.Step.CreatedByJob = createdByJob;
    }

    private static async Task RecreateHostnameAsync(
        StepContext context, string hostname, CustomHostnameSslMethod method, string? env, string? sid, string? fid, string? cdid, string recordType, string target, CancellationToken ct)
    {
        var cf = context.Services.GetRequiredService<CloudflareClient>();
        var found = await cf.FindCustomHostnameAsync(hostname, ct);
        if (found is null)
        {
            try
            {
                found = await cf.CreateCustomHostnameAsync(hostname, method,
                    new Dictionary<string, string> { ["platform_id"] = context.Job.PlatformId, ["environment"] = env ?? "" }, ct);
            }
            catch (CloudflareApiException ex) when (ex.IsConflict)
            {
                found = await cf.FindCustomHostnameAsync(hostname, ct) ?? throw StepErrors.Vanished(ex);
            }
        }

        var cfId = context.Step.CfId;
        var createdByJob = context.Step.CreatedByJob;
        var ssl = SslStatusOf(found);
        var resourceId = RegistryReports.RegistryIdValue(await LedgerReports.TargetResourceAsync(context.Db, context.Job.PlatformId, target, ct));
        await context.RecordResourceAsync(
            new LedgerEntry(ResourceKinds.CustomHostname, hostname, found.Id, env, sid, fid, cdid, ssl, System.Text.Json.JsonSerializer.Serialize(new { target, recordType })),
            false,
            row => [RegistryReports.DnsRecord(row, new DnsRecordReport(hostname, env ?? "prod", recordType, target, sid ?? "default", resourceId, found.Id, ssl))],
            ct);
        context.Step.CfId = cfId;
        context.Step.CreatedByJob = createdByJob;
    }

    /// <summary>The active hostname ledger row of a feature Worker hostname, for lookups without a tracked change.</summary>
    public static Task<CfResourceRecord?> FindHostnameAsync(ProvisioningDbContext db, string hostname, CancellationToken ct) =>
        db.Resources.AsNoTracking().FirstOrDefaultAsync(r => r.Kind == ResourceKinds.CustomHostname && r.Name == hostname && r.Status == CfResourceStatuses.Active, ct);
}
