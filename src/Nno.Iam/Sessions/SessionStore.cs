using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Iam.Data;
using Nno.Iam.Evictions;
using Nno.Iam.Users;

namespace Nno.Iam.Sessions;

/// <summary>What a new session is for (iam.md §4.3).</summary>
internal sealed record NewSession
{
    public required string AuthMethod { get; init; }

    public SessionKind Kind { get; init; } = SessionKind.Browser;

    public bool MfaVerified { get; init; }

    public string? ClientId { get; init; }

    public string? IpAddress { get; init; }

    public string? UserAgent { get; init; }

    public string? ActivePlatformId { get; init; }
}

/// <summary>A session just created: the row and its token, which exists only in this response.</summary>
internal sealed record IssuedSession(SessionRecord Session, string Token);

/// <summary>A valid session with its user (the one indexed lookup of session validation, iam.md §8).</summary>
internal sealed record ValidSession(SessionRecord Session, UserRecord User, bool TwoFactorEnabled);

/// <summary>Creating, validating, renewing and revoking sessions (iam.md §4.3).</summary>
internal sealed class SessionStore(IamDbContext db, TimeProvider time, IOptions<SessionOptions> options, IamEvictions evictions)
{
    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Adds a session for <paramref name="userId"/> to the pending changes (the caller saves, with its audit event).
    /// When the user already has the maximum of live sessions, the least recently seen ones are revoked (<c>limit</c>).
    /// </summary>
    public async Task<IssuedSession> CreateAsync(string userId, NewSession spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var now = Now;
        var settings = options.Value;
        var live = db.Sessions.Where(s => s.UserId == userId && s.RevokedAt == null && s.ExpiresAt > now && s.AbsoluteExpiresAt > now);
        var excess = await live.CountAsync(cancellationToken) - settings.MaxPerUser + 1;
        if (excess > 0)
        {
            var oldest = await live.OrderBy(s => s.LastSeenAt).ThenBy(s => s.Id).Take(excess).ToListAsync(cancellationToken);
            foreach (var session in oldest)
            {
                session.RevokedAt = now;
                session.RevokedReason = RevokeReasons.Limit;
                session.UpdatedAt = now;
            }

            db.SavedChanges += (_, _) => evictions.Publish([.. oldest.Select(s => ServiceDefaults.Evictions.CredentialEviction.Session(s.Id))]);
        }

        var (idle, absolute) = settings.LifetimesOf(spec.Kind);
        var token = OpaqueTokens.New();
        var record = new SessionRecord
        {
            Id = IamIds.New("ses"),
            UserId = userId,
            TokenHash = OpaqueTokens.Hash(token),
            AuthMethod = spec.AuthMethod,
            MfaVerified = spec.MfaVerified,
            ClientId = spec.ClientId,
            RememberMe = spec.Kind != SessionKind.BrowserShort,
            IpAddress = spec.IpAddress,
            UserAgent = spec.UserAgent is { Length: > 512 } ua ? ua[..512] : spec.UserAgent,
            ActivePlatformId = spec.ActivePlatformId,
            CreatedAt = now,
            UpdatedAt = now,
            LastSeenAt = now,
            ExpiresAt = now + (long)idle.TotalMilliseconds,
            AbsoluteExpiresAt = now + (long)absolute.TotalMilliseconds,
        };
        db.Sessions.Add(record);
        return new IssuedSession(record, token);
    }

    /// <summary>The session of <paramref name="token"/> when it is valid (not revoked, not expired, user enabled); else null.</summary>
    public Task<ValidSession?> FindByTokenAsync(string token, CancellationToken cancellationToken) =>
        OpaqueTokens.LooksValid(token) ? FindAsync(db.Sessions.Where(s => s.TokenHash == OpaqueTokens.Hash(token)), cancellationToken) : Task.FromResult<ValidSession?>(null);

    /// <summary>The session <paramref name="sessionId"/> when it is valid; else null.</summary>
    public Task<ValidSession?> FindByIdAsync(string sessionId, CancellationToken cancellationToken) =>
        FindAsync(db.Sessions.Where(s => s.Id == sessionId), cancellationToken);

    private async Task<ValidSession?> FindAsync(IQueryable<SessionRecord> sessions, CancellationToken cancellationToken)
    {
        var now = Now;
        var found = await (
            from s in sessions
            join u in db.Users on s.UserId equals u.Id
            where s.RevokedAt == null && s.ExpiresAt > now && s.AbsoluteExpiresAt > now && u.DisabledAt == null
            select new { Session = s, User = u, TwoFactor = db.MfaFactors.Any(f => f.UserId == u.Id && f.ConfirmedAt != null) })
            .AsNoTracking()
            .FirstOrDefaultAsync(cancellationToken);
        return found is null ? null : new ValidSession(found.Session, found.User, found.TwoFactor);
    }

    /// <summary>
    /// Sliding renewal and <c>last_seen_at</c> (iam.md §4.3): at most one renewal per <see cref="SessionOptions.RenewAfter"/>
    /// and one last-seen write per <see cref="SessionOptions.LastSeenInterval"/>, each a conditional update on the old
    /// value so concurrent validations write once. Updates <paramref name="session"/> in place.
    /// </summary>
    public async Task TouchAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var now = Now;
        var settings = options.Value;
        var kind = SessionKindOf(session);
        var (idle, _) = settings.LifetimesOf(kind);
        var renewedAt = session.ExpiresAt - (long)idle.TotalMilliseconds;
        // A session whose idle lifetime is not longer than RenewAfter (the operator device session: 24 h) would expire
        // before its first renewal; such sessions renew after half their idle lifetime instead.
        var renewAfter = settings.RenewAfter < idle ? settings.RenewAfter : idle / 2;
        if (now - renewedAt >= (long)renewAfter.TotalMilliseconds)
        {
            var expires = Math.Min(now + (long)idle.TotalMilliseconds, session.AbsoluteExpiresAt);
            var old = session.ExpiresAt;
            var changed = await db.Sessions.Where(s => s.Id == session.Id && s.ExpiresAt == old)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.ExpiresAt, expires).SetProperty(s => s.LastSeenAt, now).SetProperty(s => s.UpdatedAt, now), cancellationToken);
            if (changed == 1)
            {
                session.ExpiresAt = expires;
                session.LastSeenAt = now;
                session.UpdatedAt = now;
            }

            return;
        }

        if (now - session.LastSeenAt >= (long)settings.LastSeenInterval.TotalMilliseconds)
        {
            var old = session.LastSeenAt;
            var changed = await db.Sessions.Where(s => s.Id == session.Id && s.LastSeenAt == old)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.LastSeenAt, now), cancellationToken);
            if (changed == 1)
            {
                session.LastSeenAt = now;
            }
        }
    }

    /// <summary>
    /// Revokes every live session matched by <paramref name="filter"/> with <paramref name="reason"/> and publishes
    /// their evictions. Returns how many were revoked. Runs immediately (not part of pending changes).
    /// </summary>
    public async Task<int> RevokeAsync(Func<IQueryable<SessionRecord>, IQueryable<SessionRecord>> filter, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var now = Now;
        var targets = filter(db.Sessions.Where(s => s.RevokedAt == null));
        var ids = await targets.Select(s => s.Id).ToListAsync(cancellationToken);
        if (ids.Count == 0)
        {
            return 0;
        }

        var revoked = await db.Sessions.Where(s => ids.Contains(s.Id) && s.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now).SetProperty(s => s.RevokedReason, reason).SetProperty(s => s.UpdatedAt, now), cancellationToken);
        evictions.Publish([.. ids.Select(ServiceDefaults.Evictions.CredentialEviction.Session)]);
        return revoked;
    }

    /// <summary>The lifetime class a stored session was created with.</summary>
    public SessionKind SessionKindOf(SessionRecord session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (session.AuthMethod == AuthMethods.Device)
        {
            var operatorAbsolute = (long)options.Value.OperatorDeviceAbsolute.TotalMilliseconds;
            return session.AbsoluteExpiresAt - session.CreatedAt <= operatorAbsolute ? SessionKind.OperatorDevice : SessionKind.Device;
        }

        return session.RememberMe ? SessionKind.Browser : SessionKind.BrowserShort;
    }
}
