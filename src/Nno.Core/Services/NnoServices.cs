namespace Nno.Core.Services;

/// <summary>One NNO service: its canonical name, default port, binding name and distributed-mode URL variable (00-system §3).</summary>
public sealed record NnoServiceInfo(string Name, int DefaultPort, string BindingName, string UrlVariable, string? Database);

/// <summary>The services of 00-system §3, in start order (IAM first: everyone else verifies its tokens).</summary>
public static class NnoServices
{
    public const string Gateway = "gateway";
    public const string Iam = "iam";
    public const string Registry = "registry";
    public const string Billing = "billing";
    public const string Provisioning = "provisioning";
    public const string StackRegistry = "stack-registry";
    public const string Cli = "cli";

    public static readonly NnoServiceInfo IamInfo = new(Iam, 8789, "NNO_IAM", "NNO_IAM_URL", "iam");
    public static readonly NnoServiceInfo RegistryInfo = new(Registry, 8788, "NNO_REGISTRY", "NNO_REGISTRY_URL", "registry");
    public static readonly NnoServiceInfo BillingInfo = new(Billing, 8790, "NNO_BILLING", "NNO_BILLING_URL", "billing");
    public static readonly NnoServiceInfo ProvisioningInfo = new(Provisioning, 8791, "NNO_PROVISIONING", "NNO_PROVISIONING_URL", "provisioning");
    public static readonly NnoServiceInfo StackRegistryInfo = new(StackRegistry, 8792, "NNO_STACK_REGISTRY", "NNO_STACK_REGISTRY_URL", "marketplace");
    public static readonly NnoServiceInfo CliInfo = new(Cli, 8793, "NNO_CLI", "NNO_CLI_SERVICE_URL", "cli");
    public static readonly NnoServiceInfo GatewayInfo = new(Gateway, 8787, "NNO_GATEWAY", "NNO_GATEWAY_URL", null);

    /// <summary>The six upstream services, IAM first.</summary>
    public static IReadOnlyList<NnoServiceInfo> Upstreams { get; } = [IamInfo, RegistryInfo, BillingInfo, ProvisioningInfo, StackRegistryInfo, CliInfo];

    /// <summary>Every service the host can run, gateway last.</summary>
    public static IReadOnlyList<NnoServiceInfo> All { get; } = [.. Upstreams, GatewayInfo];

    public static NnoServiceInfo Get(string name) =>
        All.FirstOrDefault(s => s.Name == name) ?? throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown NNO service.");

    public static bool TryGet(string name, out NnoServiceInfo info)
    {
        info = All.FirstOrDefault(s => s.Name == name)!;
        return info is not null;
    }
}
