using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Nno.Core.Pagination;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Paging;

namespace Nno.Registry.Paging;

/// <summary>The Registry's list cursors: key <c>Registry:CursorKey</c> or <c>{dataDir}/secrets/registry-cursor-key</c> (see <see cref="ListCursors"/>).</summary>
internal sealed class RegistryCursors(IConfiguration configuration, IOptions<NnoOptions> nno)
    : ListCursors(configuration, nno.Value, KeySetting, "registry")
{
    public const string KeySetting = "Registry:CursorKey";

    /// <summary>Parses <c>limit</c>, <c>cursor</c> and <c>includeTotal</c> from the query string (400 naming bad fields).</summary>
    public static PageRequest Request(Microsoft.AspNetCore.Http.HttpRequest request) => ParseQuery(request);
}
