using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Nno.Core.Pagination;

namespace Nno.Iam.Paging;

/// <summary>
/// IAM's keyset cursors (00-system §7, decision 0105): one <see cref="CursorCodec"/> per process, keyed by
/// <c>Iam:CursorKey</c> (base64, at least 32 bytes) when configured, else by a random key drawn at start. A random key
/// only means cursors do not survive a restart or cross replicas, which clients handle by starting over (a 400 on the
/// old cursor); distributed deployments set the key so every replica shares it.
/// </summary>
internal sealed class IamCursors
{
    public const string KeySetting = "Iam:CursorKey";

    private readonly CursorCodec _codec;

    public IamCursors(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var configured = configuration[KeySetting];
        _codec = new CursorCodec(string.IsNullOrEmpty(configured) ? RandomNumberGenerator.GetBytes(32) : Convert.FromBase64String(configured));
    }

    /// <summary>The pager of one list under the request's filters (a cursor of another list or filter set is a 400).</summary>
    public KeysetPager For(string list, params ReadOnlySpan<(string Name, string? Value)> filters) =>
        new(_codec, CursorScope.For("iam:" + list, filters));

    /// <summary>Parses <c>limit</c>, <c>cursor</c> and <c>includeTotal</c> from the query string (400 naming bad fields).</summary>
    public static PageRequest Request(Microsoft.AspNetCore.Http.HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var query = request.Query;
        return PageRequest.Parse(Single(query["limit"]), Single(query["cursor"]), Single(query["includeTotal"]));
    }

    private static string? Single(Microsoft.Extensions.Primitives.StringValues values) => values.Count == 0 ? null : values[^1];
}
