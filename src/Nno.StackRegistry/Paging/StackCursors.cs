using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Paging;

namespace Nno.StackRegistry.Paging;

/// <summary>The Stack Registry's list cursors: key <c>StackRegistry:CursorKey</c> or <c>{dataDir}/secrets/stack-registry-cursor-key</c> (see <see cref="ListCursors"/>).</summary>
internal sealed class StackCursors(IConfiguration configuration, IOptions<NnoOptions> nno)
    : ListCursors(configuration, nno.Value, KeySetting, "stack-registry")
{
    public const string KeySetting = "StackRegistry:CursorKey";
}
