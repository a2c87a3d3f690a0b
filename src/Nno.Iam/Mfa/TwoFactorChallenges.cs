using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Iam.Data;
using Nno.Iam.Sessions;
using Nno.Iam.Verifications;

namespace Nno.Iam.Mfa;

/// <summary>What a pending sign-in will become once the second factor is passed (<c>verifications.session_hint</c>).</summary>
internal sealed record SessionHint(string AuthMethod, bool RememberMe);

/// <summary>An open challenge found by its token.</summary>
internal sealed record OpenChallenge(VerificationRecord Row, SessionHint Hint);

/// <summary>
/// The <c>two-factor</c> challenges of iam.md §4.15: a sign-in of a user with a confirmed factor gets a challenge token
/// (stored hashed, 5 minutes, 5 attempts) instead of a session.
/// </summary>
internal sealed class TwoFactorChallenges(IamDbContext db, TimeProvider time, IOptions<MfaOptions> options)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Adds a challenge for <paramref name="userId"/> to the pending changes and returns its token (shown once).</summary>
    public string Open(string userId, SessionHint hint)
    {
        var now = Now;
        var token = OpaqueTokens.New();
        db.Verifications.Add(new VerificationRecord
        {
            Id = IamIds.New("vrf"),
            Purpose = VerificationPurposes.TwoFactor,
            Identifier = userId,
            TokenHash = OpaqueTokens.Hash(token),
            SessionHint = JsonSerializer.Serialize(hint, Json),
            ExpiresAt = now + (long)options.Value.ChallengeLifetime.TotalMilliseconds,
            CreatedAt = now,
        });
        return token;
    }

    /// <summary>The open (unconsumed, unexpired, attempts left) challenge of <paramref name="token"/>, or null.</summary>
    public async Task<OpenChallenge?> FindAsync(string? token, CancellationToken cancellationToken)
    {
        if (!OpaqueTokens.LooksValid(token))
        {
            return null;
        }

        var now = Now;
        var hash = OpaqueTokens.Hash(token!);
        var attempts = options.Value.ChallengeAttempts;
        var row = await db.Verifications.AsNoTracking()
            .FirstOrDefaultAsync(v => v.TokenHash == hash && v.Purpose == VerificationPurposes.TwoFactor && v.ConsumedAt == null && v.ExpiresAt > now && v.Attempts < attempts, cancellationToken);
        var hint = row?.SessionHint is { } json ? JsonSerializer.Deserialize<SessionHint>(json, Json) : null;
        return row is null ? null : new OpenChallenge(row, hint ?? new SessionHint(AuthMethods.Password, RememberMe: true));
    }

    /// <summary>
    /// Counts a wrong code. Returns true when this was the last allowed attempt: the challenge is then revoked
    /// (consumed) and the caller counts one sign-in failure.
    /// </summary>
    public async Task<bool> FailAsync(VerificationRecord challenge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        var now = Now;
        var max = options.Value.ChallengeAttempts;
        await db.Verifications.Where(v => v.Id == challenge.Id && v.ConsumedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(v => v.Attempts, v => v.Attempts + 1), cancellationToken);
        var revoked = await db.Verifications.Where(v => v.Id == challenge.Id && v.ConsumedAt == null && v.Attempts >= max)
            .ExecuteUpdateAsync(u => u.SetProperty(v => v.ConsumedAt, now), cancellationToken);
        return revoked == 1;
    }

    /// <summary>Spends the challenge once its code was right (a concurrent second use gets false).</summary>
    public async Task<bool> CompleteAsync(VerificationRecord challenge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        var now = Now;
        var max = options.Value.ChallengeAttempts;
        return await db.Verifications.Where(v => v.Id == challenge.Id && v.ConsumedAt == null && v.Attempts < max)
            .ExecuteUpdateAsync(u => u.SetProperty(v => v.ConsumedAt, now), cancellationToken) == 1;
    }
}
