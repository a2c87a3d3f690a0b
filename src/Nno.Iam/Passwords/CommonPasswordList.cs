using System.Collections.Frozen;

namespace Nno.Iam.Passwords;

/// <summary>
/// The common-password list of iam.md §4.4: <c>passwords.lst</c>, the ~30,000-entry frequency list embedded in the
/// <c>zxcvbn-core</c> package, read once (a singleton) and matched case-insensitively.
/// </summary>
internal sealed class CommonPasswordList
{
    /// <summary>The manifest resource name inside <c>zxcvbn-core</c> 1.1.x.</summary>
    public const string ResourceName = "zxcvbn-core.Dictionaries.passwords.lst";

    private readonly FrozenSet<string> _passwords;

    public CommonPasswordList()
    {
        var assembly = typeof(Zxcvbn.Zxcvbn).Assembly;
        using var stream = assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The zxcvbn-core package no longer embeds '{ResourceName}'; the password policy needs it.");
        using var reader = new StreamReader(stream);
        var passwords = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (reader.ReadLine() is { } line)
        {
            var entry = line.Trim();
            if (entry.Length > 0)
            {
                passwords.Add(entry);
            }
        }

        _passwords = passwords.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Entries in the list.</summary>
    public int Count => _passwords.Count;

    /// <summary>True when <paramref name="password"/> is on the list, ignoring case.</summary>
    public bool Contains(string password) => _passwords.Contains(password);
}
