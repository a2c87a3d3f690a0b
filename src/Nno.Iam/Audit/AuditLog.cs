using System.Text;
using System.Text.Json;
using Nno.Iam.Data;

namespace Nno.Iam.Audit;

/// <summary>Event types of iam.md §4.13 written so far.</summary>
internal static class AuditEventTypes
{
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
