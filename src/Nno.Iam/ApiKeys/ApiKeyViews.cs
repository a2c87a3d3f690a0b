using System.Text.Json;

namespace Nno.Iam.ApiKeys;

/// <summary><c>POST /api/nno/apikey</c> body (iam.md §3.5).</summary>
internal sealed record CreateApiKeyRequest(string Name, IReadOnlyList<string> Scopes, string? PlatformId = null, int? ExpiresInDays = null);

/// <summary>The one response that carries the key itself.</summary>
internal sealed record CreatedApiKey(
    string Id,
    string Key,
    string DisplayPrefix,
    string Name,
    string? PlatformId,
    IReadOnlyList<string> Scopes,
    DateTimeOffset ExpiresAt,
    DateTimeOffset CreatedAt);

/// <summary>Key metadata as lists and reads show it: never the key or its hash.</summary>
internal sealed record ApiKeyView(
    string Id,
    string UserId,
    string Name,
    string DisplayPrefix,
    string? PlatformId,
    IReadOnlyList<string> Scopes,
    DateTimeOffset ExpiresAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt)
{
    public static ApiKeyView From(ApiKeyRecord key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new ApiKeyView(
            key.Id,
            key.UserId,
            key.Name,
            key.DisplayPrefix,
            key.PlatformId,
            ScopesOf(key),
            DateTimeOffset.FromUnixTimeMilliseconds(key.ExpiresAt),
            DateTimeOffset.FromUnixTimeMilliseconds(key.CreatedAt),
            key.LastUsedAt is { } used ? DateTimeOffset.FromUnixTimeMilliseconds(used) : null,
            key.RevokedAt is { } revoked ? DateTimeOffset.FromUnixTimeMilliseconds(revoked) : null);
    }

    public static IReadOnlyList<string> ScopesOf(ApiKeyRecord key) => JsonSerializer.Deserialize<List<string>>(key.Scopes) ?? [];
}

/// <summary><c>POST /api/nno/apikey/verify</c> body.</summary>
internal sealed record VerifyApiKeyRequest(string Key);

/// <summary>
/// The verify answer (iam.md §3.5): <c>{valid:true, keyId, userId, role, platformId, platformRole, scopes, expiresAt}</c>
/// or <c>{valid:false, reason}</c>; the fields of the other shape are null.
/// </summary>
internal sealed record VerifyApiKeyResponse(
    bool Valid,
    string? Reason,
    string? KeyId,
    string? UserId,
    string? Role,
    string? PlatformId,
    string? PlatformRole,
    IReadOnlyList<string>? Scopes,
    DateTimeOffset? ExpiresAt)
{
    public static VerifyApiKeyResponse Invalid(string reason) => new(false, reason, null, null, null, null, null, null, null);
}

/// <summary>Why a verification failed (the <c>reason</c> of <c>{valid:false}</c> and the metric label).</summary>
internal static class ApiKeyFailureReasons
{
    public const string Malformed = "malformed";
    public const string BadChecksum = "bad_checksum";
    public const string WrongEnvironment = "wrong_environment";
    public const string Unknown = "unknown";
    public const string Revoked = "revoked";
    public const string Expired = "expired";
    public const string UserDisabled = "user_disabled";
    public const string OwnerLostAccess = "owner_lost_access";
}
