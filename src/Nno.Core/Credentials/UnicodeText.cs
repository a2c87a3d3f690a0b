using System.Globalization;
using System.Text;

namespace Nno.Core.Credentials;

/// <summary>
/// NFC normalisation that states what it can do. NNO builds with <c>InvariantGlobalization=true</c>, and in that mode
/// the runtime has no Unicode normalisation data: <see cref="string.Normalize(NormalizationForm)"/> returns non-ASCII
/// text unchanged. ASCII is always NFC, so it takes a fast path; other text is normalised when the runtime can
/// (<see cref="IsNormalizationAvailable"/>, i.e. ICU is loaded) and otherwise left as given — callers that need one
/// canonical form (email addresses) refuse text with combining marks instead (<see cref="MayNeedComposition"/>).
/// </summary>
public static class UnicodeText
{
    /// <summary>True when the runtime really composes to NFC (probed once: <c>e</c> + U+0301 → U+00E9).</summary>
    public static bool IsNormalizationAvailable { get; } = "e\u0301".Normalize(NormalizationForm.FormC) == "\u00e9";

    /// <summary>True when every character is ASCII.</summary>
    public static bool IsAscii(ReadOnlySpan<char> value) => Ascii.IsValid(value);

    /// <summary>NFC of <paramref name="value"/> where the runtime supports it; ASCII and, without ICU, all text unchanged.</summary>
    public static string ToNfc(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return IsAscii(value) || !IsNormalizationAvailable ? value : value.Normalize(NormalizationForm.FormC);
    }

    /// <summary>
    /// True when normalisation is unavailable and <paramref name="value"/> holds combining marks (Mn, Mc, Me), the usual
    /// reason a string is not already NFC; such text cannot be given one canonical form in this process.
    /// </summary>
    public static bool MayNeedComposition(ReadOnlySpan<char> value)
    {
        if (IsNormalizationAvailable || IsAscii(value))
        {
            return false;
        }

        foreach (var c in value)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
            {
                return true;
            }
        }

        return false;
    }
}
