using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Paging;

namespace Nno.Billing.Api;

/// <summary>Billing's list cursors: key <c>Billing:CursorKey</c> or <c>{dataDir}/secrets/billing-cursor-key</c>.</summary>
internal sealed class BillingCursors(IConfiguration configuration, IOptions<NnoOptions> nno)
    : ListCursors(configuration, nno.Value, KeySetting, "billing")
{
    public const string KeySetting = "Billing:CursorKey";
}
