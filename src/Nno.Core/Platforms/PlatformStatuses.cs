namespace Nno.Core.Platforms;

/// <summary>
/// The platform lifecycle statuses of 00-system §11, as the Registry stores them and writes them to the
/// <c>PLATFORM_STATUS</c> KV, and as the gateway reads them (gateway.md §4.6).
/// </summary>
public static class PlatformStatuses
{
    public const string Pending = "pending";
    public const string Provisioning = "provisioning";
    public const string Active = "active";
    public const string Suspended = "suspended";
    public const string PendingCancellation = "pending_cancellation";
    public const string Cancelled = "cancelled";
    public const string Deleted = "deleted";

    /// <summary>
    /// Not a lifecycle status: what a reader reports when a platform's status record is missing, unreadable or names a
    /// status it does not know. <see cref="IsKnown"/> is false for it.
    /// </summary>
    public const string Unknown = "unknown";

    /// <summary>Every lifecycle status, in lifecycle order.</summary>
    public static IReadOnlyList<string> All { get; } = [Pending, Provisioning, Active, Suspended, PendingCancellation, Cancelled, Deleted];

    /// <summary>True when <paramref name="status"/> is exactly one of the lifecycle statuses (ordinal, case-sensitive).</summary>
    public static bool IsKnown(string? status) => Canonical(status) is not null;

    /// <summary>The shared constant instance equal to <paramref name="status"/>, or null when it is not a lifecycle status.</summary>
    public static string? Canonical(string? status) => status switch
    {
        Pending => Pending,
        Provisioning => Provisioning,
        Active => Active,
        Suspended => Suspended,
        PendingCancellation => PendingCancellation,
        Cancelled => Cancelled,
        Deleted => Deleted,
        _ => null,
    };
}
