namespace Nno.Core.Platforms;

/// <summary>A platform's commercial tier (billing plans; the gateway's rate limits follow it, gateway.md §4.7).</summary>
public static class PlatformTiers
{
    public const string Starter = "starter";
    public const string Growth = "growth";
    public const string Scale = "scale";

    /// <summary>The tier assumed when a platform's record names none or one not known here.</summary>
    public const string Default = Starter;

    /// <summary>Every tier, smallest first.</summary>
    public static IReadOnlyList<string> All { get; } = [Starter, Growth, Scale];

    /// <summary>True when <paramref name="tier"/> is exactly one of the tiers (ordinal, case-sensitive).</summary>
    public static bool IsKnown(string? tier) => Canonical(tier) is not null;

    /// <summary>The shared constant instance equal to <paramref name="tier"/>, or null when it is not a tier.</summary>
    public static string? Canonical(string? tier) => tier switch
    {
        Starter => Starter,
        Growth => Growth,
        Scale => Scale,
        _ => null,
    };
}
