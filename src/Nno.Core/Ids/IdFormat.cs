using System.Buffers;

namespace Nno.Core.Ids;

/// <summary>The id formats of 00-system §8 and IAM (prefixed ids), with validation helpers.</summary>
public static class IdFormat
{
    /// <summary>The characters ids are made of: lower-case ASCII letters and digits (URL-safe, case-insensitive safe).</summary>
    public const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>Length of platform, entity and stack ids.</summary>
    public const int Length = 10;

    /// <summary>Length of the random part of a prefixed id (after <c>prefix_</c>).</summary>
    public const int PrefixedBodyLength = 20;

    /// <summary>Longest accepted id prefix.</summary>
    public const int MaxPrefixLength = 16;

    /// <summary>The id of the default stack; reserved, never generated (it is not 10 characters long).</summary>
    public const string DefaultStackId = "default";

    /// <summary>IAM's operator platform id. The Registry must never issue it, so no generator returns it.</summary>
    public const string OperatorPlatformId = "0000000000";

    private static readonly SearchValues<char> AlphabetChars = SearchValues.Create(Alphabet);
    private static readonly SearchValues<char> PrefixChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyz");

    /// <summary>True for a 10-character <c>[a-z0-9]</c> id (<c>^[a-z0-9]{10}$</c>).</summary>
    public static bool IsId(string? value) =>
        value is { Length: Length } && !value.AsSpan().ContainsAnyExcept(AlphabetChars);

    /// <summary>True for a well-formed platform id (<c>^[a-z0-9]{10}$</c>). The operator platform id is well-formed.</summary>
    public static bool IsPlatformId(string? value) => IsId(value);

    /// <summary>True for a well-formed entity (tenant / sub-tenant) id.</summary>
    public static bool IsEntityId(string? value) => IsId(value);

    /// <summary>True for a stack id: a 10-character id or the reserved <see cref="DefaultStackId"/>.</summary>
    public static bool IsStackId(string? value) => value == DefaultStackId || IsId(value);

    /// <summary>True for a valid id prefix: 1–16 characters <c>[a-z]</c>, given without the underscore.</summary>
    public static bool IsValidPrefix(string? prefix) =>
        prefix is { Length: > 0 and <= MaxPrefixLength } && !prefix.AsSpan().ContainsAnyExcept(PrefixChars);

    /// <summary>True when <paramref name="value"/> is <c>{prefix}_</c> followed by 20 characters <c>[a-z0-9]</c>.</summary>
    public static bool IsPrefixedId(string? value, string prefix)
    {
        if (value is null || !IsValidPrefix(prefix) || value.Length != prefix.Length + 1 + PrefixedBodyLength)
        {
            return false;
        }

        var span = value.AsSpan();
        return span.StartsWith(prefix, StringComparison.Ordinal)
            && span[prefix.Length] == '_'
            && !span[(prefix.Length + 1)..].ContainsAnyExcept(AlphabetChars);
    }
}
