using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Nno.Core.Pagination;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Paging;

namespace Nno.Iam.Paging;

/// <summary>IAM's list cursors: key <c>Iam:CursorKey</c> or <c>{dataDir}/secrets/iam-cursor-key</c> (see <see cref="ListCursors"/>).</summary>
internal sealed class IamCursors(IConfiguration configuration, IOptions<NnoOptions> nno)
    : ListCursors(configuration, nno.Value, KeySetting, "iam")
{
    public const string KeySetting = "Iam:CursorKey";

    /// <summary>Same as <see cref="ListCursors.Pager"/>.</summary>
    public KeysetPager For(string list, params ReadOnlySpan<(string Name, string? Value)> filters) => Pager(list, filters);

    /// <summary>Parses <c>limit</c>, <c>cursor</c> and <c>includeTotal</c> from the query string (400 naming bad fields).</summary>
    public static PageRequest Request(Microsoft.AspNetCore.Http.HttpRequest request) => ParseQuery(request);

    /// <summary>The paging part of a list request from its query values (400 naming <c>limit</c>/<c>includeTotal</c>).</summary>
    public static PageRequest Parse(string? limit, string? cursor, string? includeTotal) => PageRequest.Parse(limit, cursor, includeTotal);
}
