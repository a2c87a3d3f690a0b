using System.Buffers;
using System.Text;
using Nno.Core.Errors;

namespace Nno.Core.Naming;

/// <summary>Slugs (00-system §8): <c>^[a-z0-9-]+$</c>, 1–63 characters, no leading or trailing hyphen.</summary>
public static class Slugs
{
    /// <summary>Longest slug (a DNS label, so a slug can appear in hostnames).</summary>
    public const int MaxLength = 63;

    private static readonly SearchValues<char> SlugChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-");

    /// <summary>True for a valid slug.</summary>
    public static bool IsValid(string? value) => Problem(value) is null;

    /// <summary>What is wrong with <paramref name="value"/> as a slug, phrased for <c>details.fields</c>; null when it is valid.</summary>
    public static string? Problem(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "is required";
        }

        if (value.Length > MaxLength)
        {
            return $"must be at most {MaxLength} characters";
        }

        if (value.AsSpan().ContainsAnyExcept(SlugChars))
        {
            return "may contain only lower-case letters a-z, digits 0-9 and '-'";
        }

        if (value[0] == '-' || value[^1] == '-')
        {
            return "must not start or end with '-'";
        }

        return null;
    }

    /// <summary>Returns <paramref name="value"/> when it is a valid slug, else throws 400 <c>VALIDATION_ERROR</c> naming <paramref name="field"/>.</summary>
    public static string Validate(string? value, string field = "slug") =>
        Problem(value) is { } problem ? throw ApiException.Validation(field, problem) : value!;

    /// <summary>
    /// Makes a slug from a display name: lower-case, accented Latin letters folded to ASCII, apostrophes dropped, every
    /// other run of non-alphanumerics collapsed to one hyphen, edges trimmed, cut to 63 characters.
    /// False when nothing of the name survives (for example a name written only in a non-Latin script).
    /// </summary>
    public static bool TrySlugify(string? name, out string slug)
    {
        slug = "";
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        var builder = new StringBuilder(Math.Min(name.Length, MaxLength + 1));
        var pendingHyphen = false;
        foreach (var c in name)
        {
            if (c is '\'' or '\u2019' or '\u02BC')
            {
                continue; // "O'Brien's" reads as "obriens", not "o-brien-s"
            }

            var folded = AsciiFold.Fold(c);
            if (folded is null)
            {
                pendingHyphen = true;
                continue;
            }

            foreach (var f in folded)
            {
                var lower = char.ToLowerInvariant(f);
                if (lower is (>= 'a' and <= 'z') or (>= '0' and <= '9'))
                {
                    if (pendingHyphen && builder.Length > 0)
                    {
                        builder.Append('-');
                    }

                    pendingHyphen = false;
                    builder.Append(lower);
                }
                else
                {
                    pendingHyphen = true;
                }
            }

            if (builder.Length > MaxLength)
            {
                break;
            }
        }

        var result = builder.ToString();
        if (result.Length > MaxLength)
        {
            result = result[..MaxLength].TrimEnd('-');
        }

        slug = result;
        return result.Length > 0;
    }

    /// <summary>
    /// <see cref="TrySlugify"/>, throwing 400 <c>VALIDATION_ERROR</c> naming <paramref name="field"/> when the name yields
    /// no slug (the caller should then ask for an explicit slug).
    /// </summary>
    public static string Slugify(string? name, string field = "name") =>
        TrySlugify(name, out var slug)
            ? slug
            : throw ApiException.Validation(field, "cannot be turned into a slug (no letters or digits a-z, 0-9); give a slug explicitly");
}
