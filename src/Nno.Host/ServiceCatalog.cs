using Nno.Billing;
using Nno.CliService;
using Nno.Gateway;
using Nno.Iam;
using Nno.Provisioning;
using Nno.Registry;
using Nno.ServiceDefaults.Hosting;
using Nno.StackRegistry;

namespace Nno.Host;

/// <summary>Every service the host can run, in start order: IAM first (everyone verifies its tokens), the gateway last.</summary>
public static class ServiceCatalog
{
    public static IReadOnlyList<NnoServiceModule> All { get; } =
    [
        IamService.Module,
        RegistryService.Module,
        BillingService.Module,
        ProvisioningService.Module,
        StackRegistryService.Module,
        CliServiceModule.Module,
        GatewayService.Module,
    ];

    public static NnoServiceModule? Find(string name) => All.FirstOrDefault(m => m.Info.Name == name);
}
