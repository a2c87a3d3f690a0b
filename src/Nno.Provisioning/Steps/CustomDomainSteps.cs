using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Provisioning.Cloudflare;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Outbox;
using Nno.Provisioning.Steps.Common;

namespace Nno.Provisioning.Steps;

/// <summary>
/// ADD_CUSTOM_DOMAIN (§4.2): the custom hostname for the customer's domain (TXT validation), its verification records
/// reported to the Registry with the <c>custom_domain</c> DNS record, then the attachment to the target: a Worker route
/// <c>{domain}/*</c> to the target hostname's script, or a Pages domain when the target is the console.
/// </summary>
internal sealed class AddCustomDomainSteps : IJobSteps
{
    public string JobType => JobTypes.AddCustomDomain;

    public IReadOnlyList<PlannedStep> Plan(JobPlanInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return [new("register_domain_hostname", ResourceKinds.CustomHostname, StepNames.String(input.Payload, "domain")), new("attach_domain")];
    }

    public async Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var domain = StepNames.String(context.Payload, "domain")!;
        var target = StepNames.String(context.Payload, "targetHostname")!;
        var cdid = context.Job.CustomDomainId!;
        var targetRow = await CustomDomains.TargetAsync(context, target, cancellationToken);
        if (context.BaseName == "register_domain_hostname")
        {
            var (hostname, row) = await HostnameOps.EnsureCustomHostnameAsync(
                context, domain, CustomHostnameSslMethod.Txt, context.Job.Environment, targetRow.StackId, targetRow.FeatureId, cdid, "custom_domain", target, cancellationToken);
            var fallback = context.Services.GetRequiredService<CloudflareClient>().Options.SaasFallbackOrigin;
            // dnsRecordId: the Registry id of the DNS record reported just before (resolved by the outbox at send time).
            await context.ReportAsync(
                [RegistryReports.CustomDomain(context.Job.PlatformId, cdid, new
                {
                    status = "pending", sslStatus = HostnameOps.SslStatusOf(hostname), verificationRecords = CustomDomains.VerificationRecords(hostname, domain, fallback),
                    dnsRecordId = RegistryReports.RegistryIdValue(row),
                })],
                cancellationToken);
            return StepOutcome.Done;
        }

        var attach = await CustomDomains.AttachmentAsync(context, target, targetRow, cancellationToken);
        if (attach.PagesProject is { } project)
        {
            await CustomDomains.EnsurePagesDomainAsync(context, project, domain, targetRow, cdid, cancellationToken);
        }
        else
        {
            await HostnameOps.EnsureRouteAsync(context, CloudflareNames.RoutePattern(domain), attach.Script!, context.Job.Environment, targetRow.StackId, targetRow.FeatureId, cdid, cancellationToken);
        }

        return StepOutcome.Done;
    }

    public async Task<StepOutcome> UndoAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var domain = StepNames.String(context.Payload, "domain")!;
        if (context.BaseName == "attach_domain" && StepOutputs.String(context, "pagesProject") is { } project)
        {
            if (StepOutputs.Flag(context, "pagesDomainCreated"))
            {
                await context.Services.GetRequiredService<CloudflareClient>().DeletePagesDomainAsync(project, domain, cancellationToken);
                await HostnameOps.MarkDeletedAsync(context, ResourceKinds.PagesDomain, domain, cancellationToken);
            }

            return StepOutcome.Done;
        }

        // register: the hostname (its route keys are absent); attach: the route (its hostname keys are absent).
        return await HostnameOps.UndoRegistrationAsync(context, domain, cancellationToken);
    }
}

/// <summary>REMOVE_CUSTOM_DOMAIN (§4.2): detach (route or Pages domain), delete the custom hostname, report it removed.</summary>
internal sealed class RemoveCustomDomainSteps : IJobSteps
{
    public string JobType => JobTypes.RemoveCustomDomain;

    public IReadOnlyList<PlannedStep> Plan(JobPlanInput input) => [new("detach_domain"), new("delete_domain_hostname")];

    public bool UndoesUncreated(ProvisionStepRecord step) => StepOutputs.Flag(step?.OutputJson ?? "{}", StepOutputs.UndoNeeded);

    public async Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var cdid = context.Job.CustomDomainId!;
        var pid = context.Job.PlatformId;
        var rows = await context.Db.Resources.AsNoTracking()
            .Where(r => r.PlatformId == pid && r.CustomDomainId == cdid && r.Status == CfResourceStatuses.Active)
            .ToListAsync(cancellationToken);
        if (context.BaseName == "detach_domain")
        {
            var outcome = StepOutcome.Skipped;
            foreach (var route in rows.Where(r => r.Kind == ResourceKinds.WorkerRoute))
            {
                outcome = await HostnameOps.RemoveAsync(context, ResourceKinds.WorkerRoute, route.Name, cancellationToken) ? StepOutcome.Done : outcome;
            }

            foreach (var pages in rows.Where(r => r.Kind == ResourceKinds.PagesDomain))
            {
                context.Output["pagesProject"] = pages.CfId;
                context.Output["pagesDomain"] = pages.Name;
                context.Output[StepOutputs.UndoNeeded] = true;
                await context.SaveAsync(cancellationToken);
                await context.Services.GetRequiredService<CloudflareClient>().DeletePagesDomainAsync(pages.CfId, pages.Name, cancellationToken);
                await HostnameOps.MarkDeletedAsync(context, ResourceKinds.PagesDomain, pages.Name, cancellationToken);
                outcome = StepOutcome.Done;
            }

            return outcome;
        }

        var removed = false;
        foreach (var hostname in rows.Where(r => r.Kind == ResourceKinds.CustomHostname))
        {
            removed |= await HostnameOps.RemoveAsync(context, ResourceKinds.CustomHostname, hostname.Name, cancellationToken);
        }

        await context.ReportAsync([RegistryReports.CustomDomain(pid, cdid, new { status = "removed" })], cancellationToken);
        return removed ? StepOutcome.Done : StepOutcome.Skipped;
    }

    public async Task<StepOutcome> UndoAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (StepOutputs.String(context, "pagesProject") is { } project && StepOutputs.String(context, "pagesDomain") is { } domain)
        {
            await context.Services.GetRequiredService<CloudflareClient>().CreatePagesDomainAsync(project, domain, cancellationToken);
        }

        return await HostnameOps.UndoRemoveAsync(context, cancellationToken);
    }
}

/// <summary>The custom domain helpers: the target hostname, verification records, the Pages attachment.</summary>
internal static class CustomDomains
{
    /// <summary>The target's active ledger row (P8 checked it exists; it may have gone since).</summary>
    public static async Task<CfResourceRecord> TargetAsync(StepContext context, string target, CancellationToken ct) =>
        await HostnameOps.FindHostnameAsync(context.Db, target, ct) is { CustomDomainId: null } row
            ? row
            : throw StepFailureException.Permanent(JobErrorCodes.CfApiError, $"The target hostname {target} is not an active hostname of the platform.");

    /// <summary>What the target runs: the console's Pages project, or the script its route points at (ledger, then Cloudflare).</summary>
    public static async Task<HostnameTarget> AttachmentAsync(StepContext context, string target, CfResourceRecord targetRow, CancellationToken ct)
    {
        var names = context.Services.GetRequiredService<CloudflareNames>();
        var env = Nno.Core.Environments.EnvironmentNames.ParsePlatform(targetRow.Environment ?? "prod");
        if (target == names.ConsoleHostname(context.Job.PlatformId, env))
        {
            return new HostnameTarget(null, CloudflareNames.PagesProject(context.Job.PlatformId, env));
        }

        var pattern = CloudflareNames.RoutePattern(target);
        if (await context.Db.Resources.AsNoTracking().FirstOrDefaultAsync(r => r.Kind == ResourceKinds.WorkerRoute && r.Name == pattern && r.Status == CfResourceStatuses.Active, ct) is { } route)
        {
            using var meta = JsonDocument.Parse(route.MetaJson);
            if (StepNames.String(meta.RootElement, "script") is { } script)
            {
                return new HostnameTarget(script, null);
            }
        }

        var found = await context.Services.GetRequiredService<CloudflareClient>().FindWorkerRouteAsync(pattern, ct);
        return found?.Script is { } routed
            ? new HostnameTarget(routed, null)
            : throw StepFailureException.Permanent(JobErrorCodes.CfApiError, $"No Worker route serves the target hostname {target}.");
    }

    /// <summary>
    /// The records a customer publishes: the ownership TXT, the certificate's TXT validation records and a CNAME of the
    /// domain to <c>Cloudflare:SaasFallbackOrigin</c>.
    /// </summary>
    public static IReadOnlyList<object> VerificationRecords(CustomHostname hostname, string domain, string? fallbackOrigin)
    {
        ArgumentNullException.ThrowIfNull(hostname);
        var records = new List<object>();
        if (hostname.OwnershipVerification is { Name: { } name, Value: { } value })
        {
            records.Add(new { type = "TXT", name, value });
        }

        foreach (var record in hostname.Ssl?.ValidationRecords ?? [])
        {
            if (record.TxtName is { } txtName && record.TxtValue is { } txtValue)
            {
                records.Add(new { type = "TXT", name = txtName, value = txtValue });
            }
        }

        if (!string.IsNullOrEmpty(fallbackOrigin))
        {
            records.Add(new { type = "CNAME", name = domain, value = fallbackOrigin });
        }

        return records;
    }

    /// <summary><c>GET A/pages/projects/{p}/domains/{domain}</c> → <c>POST …/domains {name}</c>; ledger <c>pages_domain</c> (cf id = project).</summary>
    public static async Task EnsurePagesDomainAsync(StepContext context, string project, string domain, CfResourceRecord targetRow, string cdid, CancellationToken ct)
    {
        var cf = context.Services.GetRequiredService<CloudflareClient>();
        context.Output["pagesProject"] = project;
        var found = await cf.GetPagesDomainAsync(project, domain, ct);
        var ours = context.FoundIsOurs;
        if (found is null)
        {
            await context.BeforeCreateAsync(ct);
            try
            {
                await cf.CreatePagesDomainAsync(project, domain, ct);
                ours = true;
            }
            catch (CloudflareApiException ex) when (ex.IsConflict)
            {
                ours = context.ConflictIsOurs;
            }
        }

        context.Output["pagesDomainCreated"] = ours;
        await context.RecordResourceAsync(new LedgerEntry(ResourceKinds.PagesDomain, domain, project, targetRow.Environment, targetRow.StackId, null, cdid), ours, null, ct);
    }
}
