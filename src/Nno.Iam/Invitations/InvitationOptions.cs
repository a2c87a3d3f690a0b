using System.ComponentModel.DataAnnotations;

namespace Nno.Iam.Invitations;

/// <summary>Invitation settings (configuration section <c>Iam:Invitations</c>, iam.md §4.11, §6).</summary>
internal sealed class InvitationOptions
{
    public const string Section = "Iam:Invitations";

    /// <summary>An invitation (and its emailed link) expires this many days after it was sent.</summary>
    [Range(1, 365)]
    public int LifetimeDays { get; set; } = 7;

    /// <summary>Invitation spam bound: at most this many new invitations per platform in 24 hours (429 beyond).</summary>
    [Range(1, 100_000)]
    public int MaxPerPlatformPerDay { get; set; } = 50;
}

/// <summary><c>invitations.status</c> values.</summary>
internal static class InvitationStatuses
{
    public const string Pending = "pending";
    public const string Accepted = "accepted";
    public const string Rejected = "rejected";
    public const string Canceled = "canceled";
    public const string Expired = "expired";

    public static bool IsValid(string? status) => status is Pending or Accepted or Rejected or Canceled or Expired;

    /// <summary>The status a reader sees: a pending invitation past its expiry is expired even before the cleanup job marks it.</summary>
    public static string AsOf(InvitationRecord invitation, long now) =>
        invitation.Status == Pending && invitation.ExpiresAt <= now ? Expired : invitation.Status;
}
