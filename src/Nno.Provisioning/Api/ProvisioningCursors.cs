using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Paging;

namespace Nno.Provisioning.Api;

/// <summary>Provisioning's list cursors: key <c>Provisioning:CursorKey</c> or <c>{dataDir}/secrets/provisioning-cursor-key</c>.</summary>
internal sealed class ProvisioningCursors(IConfiguration configuration, IOptions<NnoOptions> nno)
    : ListCursors(configuration, nno.Value, KeySetting, "provisioning")
{
    public const string KeySetting = "Provisioning:CursorKey";
}
