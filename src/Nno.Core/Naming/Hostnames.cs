using System.Buffers;

namespace Nno.Core.Naming;

/// <summary>DNS hostname rules NNO applies to every name it builds: lower-case labels <c>[a-z0-9-]</c>, 1–63 characters, no edge hyphen, at most 253 characters in all.</summary>
public static class Hostnames
{
    /// <summary>Longest hostname (RFC 1035, without the trailing dot).</summary>
    public const int MaxLength = 253;

    /// <summary>Longest label.</summary>
    public const int MaxLabelLength = 63;

    private static readonly SearchValues<char> LabelChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-");

    /// <summary>True for one valid label.</summary>
    public static bool IsValidLabel(ReadOnlySpan<char> label) => LabelProblem(label) is null;

    /// <summary>What is wrong with <paramref name="label"/> as a hostname label; null when it is valid.</summary>
    public static string? LabelProblem(ReadOnlySpan<char> label)
    {
        if (label.IsEmpty)
        {
            return "must not be empty";
        }

        if (label.Length > MaxLabelLength)
        {
            return $"must be at most {MaxLabelLength} characters";
        }

        if (label.ContainsAnyExcept(LabelChars))
        {
            return "may contain only lower-case letters a-z, digits 0-9 and '-'";
        }

        return label[0] == '-' || label[^1] == '-' ? "must not start or end with '-'" : null;
    }

    /// <summary>True for a valid hostname: one or more valid labels separated by dots, at most 253 characters, no trailing dot.</summary>
    public static bool IsValid(string? hostname) => Problem(hostname) is null;

    /// <summary>What is wrong with <paramref name="hostname"/>; null when it is valid.</summary>
    public static string? Problem(string? hostname)
    {
        if (string.IsNullOrEmpty(hostname))
        {
            return "is required";
        }

        if (hostname.Length > MaxLength)
        {
            return $"must be at most {MaxLength} characters";
        }

        foreach (var range in hostname.AsSpan().Split('.'))
        {
            if (LabelProblem(hostname.AsSpan()[range]) is { } problem)
            {
                return "has a label that " + problem;
            }
        }

        return null;
    }

    /// <summary>True when <paramref name="hostname"/> equals <paramref name="domain"/> or lies under it (on a label boundary).</summary>
    public static bool IsSameOrUnder(string hostname, string domain)
    {
        ArgumentNullException.ThrowIfNull(hostname);
        ArgumentNullException.ThrowIfNull(domain);
        return hostname.Length == domain.Length
            ? string.Equals(hostname, domain, StringComparison.Ordinal)
            : hostname.Length > domain.Length
              && hostname[hostname.Length - domain.Length - 1] == '.'
              && hostname.EndsWith(domain, StringComparison.Ordinal);
    }
}
