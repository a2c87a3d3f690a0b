using System.Buffers;

namespace Nno.Provisioning.Cloudflare;

/// <summary>The shape every id taken from a Cloudflare answer must have before NNO stores or reuses it (provisioning.md §6).</summary>
public static class CloudflareIds
{
    /// <summary>Longest accepted id.</summary>
    public const int MaxLength = 64;

    private static readonly SearchValues<char> IdChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");

    /// <summary>True for <c>^[A-Za-z0-9_-]{1,64}$</c>.</summary>
    public static bool IsValid(string? id) =>
        id is { Length: > 0 and <= MaxLength } && !id.AsSpan().ContainsAnyExcept(IdChars);
}
