using Nno.Core.Platforms;

namespace Nno.Registry.Lifecycle;

/// <summary>The user-facing lifecycle actions of registry.md §4.1 and the statuses each may start from.</summary>
internal static class LifecycleActions
{
    public const string Suspend = "suspend";
    public const string Restore = "restore";
    public const string Cancel = "cancel";
    public const string Resume = "resume";
    public const string Delete = "delete";

    /// <summary>The system's move of a pending cancellation to <c>cancelled</c> once <c>cancel_effective_at</c> passed (lifecycle sweep; no route).</summary>
    public const string PeriodEnd = "period_end";

    public static IReadOnlyList<string> All { get; } = [Suspend, Restore, Cancel, Resume, Delete];

    /// <summary>The statuses <paramref name="action"/> may start from (delete from pending/provisioning only after a failed or unstarted onboarding).</summary>
    public static IReadOnlyList<string> From(string action) => action switch
    {
        Suspend => [PlatformStatuses.Active],
        Restore => [PlatformStatuses.Suspended],
        Cancel => [PlatformStatuses.Active, PlatformStatuses.Suspended],
        Resume => [PlatformStatuses.PendingCancellation],
        PeriodEnd => [PlatformStatuses.PendingCancellation],
        Delete => [PlatformStatuses.PendingCancellation, PlatformStatuses.Cancelled, PlatformStatuses.Pending, PlatformStatuses.Provisioning],
        _ => [],
    };

    /// <summary>The actions allowed from <paramref name="status"/> (the <c>allowed</c> of an <c>INVALID_TRANSITION</c>).</summary>
    public static IReadOnlyList<string> AllowedFrom(string status) => [.. All.Where(a => From(a).Contains(status))];
}
