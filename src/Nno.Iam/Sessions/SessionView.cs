namespace Nno.Iam.Sessions;

/// <summary>The Better Auth–shaped <c>session</c> object of iam.md §3.1 (never the token or its hash).</summary>
internal sealed record SessionView(
    string Id,
    string UserId,
    DateTimeOffset ExpiresAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? IpAddress,
    string? UserAgent,
    string? ActiveOrganizationId,
    string? ActivePlatformId,
    string AuthMethod,
    bool MfaVerified)
{
    public static SessionView From(SessionRecord session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new SessionView(
            session.Id,
            session.UserId,
            DateTimeOffset.FromUnixTimeMilliseconds(Math.Min(session.ExpiresAt, session.AbsoluteExpiresAt)),
            DateTimeOffset.FromUnixTimeMilliseconds(session.CreatedAt),
            DateTimeOffset.FromUnixTimeMilliseconds(session.UpdatedAt),
            session.IpAddress,
            session.UserAgent,
            session.ActiveOrganizationId,
            session.ActivePlatformId,
            session.AuthMethod,
            session.MfaVerified);
    }
}
