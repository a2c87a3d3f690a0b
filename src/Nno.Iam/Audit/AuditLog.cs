using System.Text;
using System.Text.Json;
using Nno.Iam.Data;

namespace Nno.Iam.Audit;

/// <summary>The event types of iam.md §4.13.</summary>
internal static class AuditEventTypes
{
    public const string UserSignedUp = "user.signed_up";
    public const string AuthSignInSucceeded = "auth.sign_in.succeeded";
    public const string AuthSignInFailed = "auth.sign_in.failed";
    public const string AuthSignInLocked = "auth.sign_in.locked";
    public const string AuthSignOut = "auth.sign_out";
    public const string AuthMagicLinkRequested = "auth.magic_link.requested";
    public const string AuthMagicLinkUsed = "auth.magic_link.used";
    public const string AuthEmailVerified = "auth.email_verified";
    public const string AuthPasswordChanged = "auth.password_changed";
    public const string AuthTwoFactorEnabled = "auth.two_factor.enabled";
    public const string AuthTwoFactorDisabled = "auth.two_factor.disabled";
    public const string AuthTwoFactorSucceeded = "auth.two_factor.succeeded";
    public const string AuthTwoFactorFailed = "auth.two_factor.failed";
    public const string AuthTwoFactorRecoveryCodesRegenerated = "auth.two_factor.recovery_codes_regenerated";
    public const string UserDeleted = "user.deleted";
    public const string UserExported = "user.exported";
    public const string NotificationQueued = "notification.queued";
    public const string SessionRevoked = "session.revoked";
    public const string SessionPlatformSwitched = "session.platform_switched";
    public const string ApikeyCreated = "apikey.created";
    public const string ApikeyRevoked = "apikey.revoked";
    public const string DeviceApproved = "device.approved";
    public const string DeviceDenied = "device.denied";
    public const string DeviceTokenIssued = "device.token_issued";
    public const string OrgCreated = "org.created";
    public const string OrgUpdated = "org.updated";
    public const string OrgDeleted = "org.deleted";
    public const string MemberAdded = "member.added";
    public const string MemberRoleChanged = "member.role_changed";
    public const string MemberRemoved = "member.removed";
    public const string PlatformMemberAdded = "platform_member.added";
    public const string PlatformMemberRoleChanged = "platform_member.role_changed";
    public const string PlatformMemberRemoved = "platform_member.removed";
    public const string InvitationCreated = "invitation.created";
    public const string InvitationAccepted = "invitation.accepted";
    public const string InvitationRejected = "invitation.rejected";
    public const string InvitationCanceled = "invitation.canceled";
    public const string RoleMappingUpserted = "role_mapping.upserted";
    public const string RoleMappingDeleted = "role_mapping.deleted";
    public const string GrantCreated = "grant.created";
    public const string GrantDeleted = "grant.deleted";
    public const string UserRoleChanged = "user.role_changed";
    public const string UserDisabled = "user.disabled";
    public const string UserEnabled = "user.enabled";
    public const string BootstrapCompleted = "bootstrap.completed";
    public const string ServiceTokenDenied = "service_token.denied";
}

/// <summary>One audit event to write.</summary>
internal sealed record AuditEntry
{
    public required string Type { get; init; }

    /// <summary><c>success</c> or <c>failure</c>.</summary>
    public required string Outcome { get; init; }

    /// <summary><c>user</c>, <c>apikey</c>, <c>service</c>, <c>anonymous</c> or <c>system</c>.</summary>
    public required string ActorKind { get; init; }

    public string? ActorUserId { get; init; }

    public string? ActorKeyId { get; init; }

    public string? SubjectUserId { get; init; }

    public string? PlatformId { get; init; }

    public string? OrganizationId { get; init; }

    public string? Ip { get; init; }

    public string? UserAgent { get; init; }

    public string? RequestId { get; init; }

    /// <summary>Extra facts; never secrets, tokens, keys or hashes.</summary>
    public IReadOnlyDictionary<string, object?> Metadata { get; init; } = new Dictionary<string, object?>();
}

/// <summary>Writes <c>audit_events</c> rows (iam.md §4.13).</summary>
internal sealed class AuditLog(IamDbContext db, TimeProvider time)
{
    /// <summary>iam.md §2: metadata is at most 4 KiB.</summary>
    public const int MaxMetadataBytes = 4096;

    /// <summary>User agents are stored up to this length.</summary>
    public const int MaxUserAgentLength = 512;

    /// <summary>Adds the event to the context's pending changes (written with the change it records).</summary>
    public AuditEventRecord Add(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var metadata = JsonSerializer.Serialize(entry.Metadata);
        if (Encoding.UTF8.GetByteCount(metadata) > MaxMetadataBytes)
        {
            throw new ArgumentException($"Audit metadata of {entry.Type} exceeds {MaxMetadataBytes} bytes.", nameof(entry));
        }

        var record = new AuditEventRecord
        {
            Id = IamIds.New("evt"),
            OccurredAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
            Type = entry.Type,
            Outcome = entry.Outcome,
            ActorKind = entry.ActorKind,
            ActorUserId = entry.ActorUserId,
            ActorKeyId = entry.ActorKeyId,
            SubjectUserId = entry.SubjectUserId,
            PlatformId = entry.PlatformId,
            OrganizationId = entry.OrganizationId,
            Ip = entry.Ip,
            UserAgent = entry.UserAgent is { Length: > MaxUserAgentLength } ua ? ua[..MaxUserAgentLength] : entry.UserAgent,
            RequestId = entry.RequestId,
            Metadata = metadata,
        };
        db.AuditEvents.Add(record);
        return record;
    }

    /// <summary>Writes a failure on its own (iam.md §4.13: failures are not part of another change).</summary>
    public async Task WriteAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        Add(entry);
        await db.SaveChangesAsync(cancellationToken);
    }
}
