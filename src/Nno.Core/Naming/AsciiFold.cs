namespace Nno.Core.Naming;

/// <summary>
/// Folds accented Latin letters to ASCII (é → e, ß → ss, Ø → O). Hand-written because the host runs with invariant
/// globalization, where <see cref="string.Normalize()"/> does not decompose characters.
/// </summary>
internal static class AsciiFold
{
    // U+00C0–U+00FF; "" marks the two symbols in the block (× and ÷), which are separators, not letters.
    private static readonly string[] Latin1 =
    [
        "A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I", "I",
        "D", "N", "O", "O", "O", "O", "O", "", "O", "U", "U", "U", "U", "Y", "TH", "ss",
        "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
        "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
    ];

    // U+0100–U+017F as runs of (count, fold); case does not matter to slugs, so upper and lower fold alike.
    private static readonly string[] LatinExtendedA = Expand(
        (6, "a"), (8, "c"), (4, "d"), (10, "e"), (8, "g"), (4, "h"), (10, "i"), (2, "ij"), (2, "j"), (3, "k"),
        (10, "l"), (9, "n"), (6, "o"), (2, "oe"), (6, "r"), (8, "s"), (6, "t"), (12, "u"), (2, "w"), (3, "y"),
        (6, "z"), (1, "s"));

    /// <summary>
    /// The ASCII spelling of <paramref name="c"/>: the character itself when ASCII, its fold when it is a known Latin
    /// letter, an empty string for a combining mark (already-decomposed input), or null when it has no ASCII form.
    /// </summary>
    public static string? Fold(char c)
    {
        if (c < 0x80)
        {
            return c.ToString();
        }

        if (c is >= '\u0300' and <= '\u036F')
        {
            return "";
        }

        if (c is >= '\u00C0' and <= '\u00FF')
        {
            var fold = Latin1[c - 0xC0];
            return fold.Length == 0 ? null : fold;
        }

        if (c is >= '\u0100' and <= '\u017F')
        {
            return LatinExtendedA[c - 0x100];
        }

        return null;
    }

    private static string[] Expand(params (int Count, string Fold)[] runs)
    {
        var result = new List<string>(128);
        foreach (var (count, fold) in runs)
        {
            result.AddRange(Enumerable.Repeat(fold, count));
        }

        return result.Count == 128
            ? [.. result]
            : throw new InvalidOperationException("The Latin Extended-A fold table must cover 128 characters.");
    }
}
