using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Nno.Core.Pagination;

namespace Nno.Iam.Pagination;

/// <summary>Cursor settings (<c>Iam:Pagination</c>).</summary>
internal sealed class IamPaginationOptions
{
    public const string Section = "Iam:Pagination";

    /// <summary>
    /// Base64 HMAC key (≥ 32 bytes) for list cursors. Replicas behind one load balancer must share it; when unset a
    /// random per-process key is used, which is enough for one process (a cursor is only good for a few page turns).
    /// </summary>
    public string? CursorKey { get; set; }
}

/// <summary>IAM's one <see cref="CursorCodec"/> (00-system §7: opaque, tamper-evident keyset cursors).</summary>
internal sealed class IamCursors(IOptions<IamPaginationOptions> options)
{
    public CursorCodec Codec { get; } = new(KeyOf(options.Value));

    /// <summary>A pager for <paramref name="list"/> under the given filters (a cursor of another list or filter set is a 400).</summary>
    public KeysetPager Pager(string list, params ReadOnlySpan<(string Name, string? Value)> filters) => new(Codec, CursorScope.For(list, filters));

    private static byte[] KeyOf(IamPaginationOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.CursorKey))
        {
            return RandomNumberGenerator.GetBytes(32);
        }

        var key = Convert.FromBase64String(options.CursorKey);
        return key.Length >= CursorCodec.MinKeyLength
            ? key
            : throw new InvalidOperationException($"Iam:Pagination:CursorKey must decode to at least {CursorCodec.MinKeyLength} bytes.");
    }
}
