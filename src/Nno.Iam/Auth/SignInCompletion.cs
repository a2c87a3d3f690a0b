using Microsoft.EntityFrameworkCore;
using Nno.Iam.Access;
using Nno.Iam.Audit;
using Nno.Iam.Data;
using Nno.Iam.Mfa;
using Nno.Iam.Sessions;
using Nno.Iam.Users;

namespace Nno.Iam.Auth;

/// <summary>Either a new session or, for a user with a confirmed second factor, a challenge token (iam.md §4.15).</summary>
internal sealed record SignInOutcome(IssuedSession? Session, string? ChallengeToken);

/// <summary>
/// The last step of every sign-in (password, magic link, verify-email and invitation links): a user with a confirmed
/// factor gets a <c>two-factor</c> challenge instead of a session. Adds to the pending changes; the caller saves.
/// </summary>
internal sealed class SignInCompletion(IamDbContext db, SessionStore sessions, TwoFactorChallenges challenges, AuditLog audit)
{
    public async Task<SignInOutcome> BeginAsync(UserRecord user, string authMethod, bool rememberMe, IamCaller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(caller);
        if (await db.MfaFactors.AnyAsync(f => f.UserId == user.Id && f.ConfirmedAt != null, cancellationToken))
        {
            return new SignInOutcome(null, challenges.Open(user.Id, new SessionHint(authMethod, rememberMe)));
        }

        return new SignInOutcome(await CreateSessionAsync(user, authMethod, rememberMe, mfaVerified: false, caller, cancellationToken), null);
    }

    /// <summary>A browser session for <paramref name="user"/>, audited as <c>auth.sign_in.succeeded</c>.</summary>
    public async Task<IssuedSession> CreateSessionAsync(UserRecord user, string authMethod, bool rememberMe, bool mfaVerified, IamCaller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(caller);
        var issued = await sessions.CreateAsync(
            user.Id,
            new NewSession
            {
                AuthMethod = authMethod,
                Kind = rememberMe ? SessionKind.Browser : SessionKind.BrowserShort,
                MfaVerified = mfaVerified,
                IpAddress = caller.Ip,
                UserAgent = caller.UserAgent,
            },
            cancellationToken);
        audit.Add(caller.Audit(AuditEventTypes.AuthSignInSucceeded).AsUser(user.Id) with
        {
            Metadata = new Dictionary<string, object?> { ["method"] = authMethod, ["sessionId"] = issued.Session.Id, ["mfaVerified"] = mfaVerified },
        });
        return issued;
    }
}

/// <summary>Audit helpers for the sign-in routes.</summary>
internal static class AuthAudit
{
    /// <summary>
    /// The entry of an anonymous request that proved to be <paramref name="userId"/> (a sign-in, a followed link): the
    /// user is the actor and the subject.
    /// </summary>
    public static AuditEntry AsUser(this AuditEntry entry, string userId)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry with { ActorKind = "user", ActorUserId = userId, SubjectUserId = userId };
    }
}
