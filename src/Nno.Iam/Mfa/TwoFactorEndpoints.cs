using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Iam.Access;
using Nno.Iam.Audit;
using Nno.Iam.Auth;
using Nno.Iam.Data;
using Nno.Iam.Evictions;
using Nno.Iam.Sessions;
using Nno.Iam.SignIn;
using Nno.Iam.Users;
using Nno.ServiceDefaults.Idempotency;

namespace Nno.Iam.Mfa;

/// <summary>The second-factor routes of iam.md §3.1 and §4.15.</summary>
internal static class TwoFactorEndpoints
{
    /// <summary>Completes a sign-in that was answered with <c>twoFactorRedirect</c>.</summary>
    public static async Task<Ok<SessionCreatedResponse>> VerifyAsync(
        TwoFactorVerifyRequest request,
        HttpContext context,
        IamCallers callers,
        IamDbContext db,
        TwoFactorChallenges challenges,
        TotpAuthenticator totp,
        SignInThrottle throttle,
        SignInCompletion completion,
        SessionCookie cookie,
        AuditLog audit,
        CancellationToken cancellationToken)
    {
        var caller = await callers.GetAsync(cancellationToken);
        var challenge = await challenges.FindAsync(request.ChallengeToken, cancellationToken) ?? throw InvalidChallenge();
        var userId = challenge.Row.Identifier;
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId, cancellationToken);
        var factor = await db.MfaFactors.FirstOrDefaultAsync(f => f.UserId == userId && f.ConfirmedAt != null, cancellationToken);
        if (user is null || factor is null)
        {
            throw InvalidChallenge();
        }

        var code = request.Code.Trim();
        var method = TotpAuthenticator.IsRecoveryCode(code) ? "recovery_code" : "totp";
        var passed = method == "totp"
            ? await totp.VerifyTotpAsync(factor, code, cancellationToken)
            : await totp.UseRecoveryCodeAsync(factor, code, cancellationToken);
        if (!passed)
        {
            await audit.WriteAsync(caller.Audit(AuditEventTypes.AuthTwoFactorFailed, "failure") with { SubjectUserId = user.Id, Metadata = new Dictionary<string, object?> { ["method"] = method } }, CancellationToken.None);

            // The last allowed wrong code revokes the challenge and counts as one password failure (iam.md §4.5).
            if (await challenges.FailAsync(challenge.Row, CancellationToken.None))
            {
                await throttle.RecordFailureAsync(user.EmailNormalized, user, caller.Audit(AuditEventTypes.AuthSignInLocked, "failure"), CancellationToken.None);
            }

            throw new ApiException(ErrorCodes.Unauthorized, "The code is not valid.");
        }

        if (!await challenges.CompleteAsync(challenge.Row, cancellationToken))
        {
            throw InvalidChallenge();
        }

        if (user.DisabledAt is not null)
        {
            throw new ApiException(ErrorCodes.Forbidden, "This account is disabled.", new { reason = "account_disabled" });
        }

        await throttle.ResetFailuresAsync(user.EmailNormalized, cancellationToken);
        audit.Add(caller.Audit(AuditEventTypes.AuthTwoFactorSucceeded).AsUser(user.Id) with { Metadata = new Dictionary<string, object?> { ["method"] = method } });
        var issued = await completion.CreateSessionAsync(user, challenge.Hint.AuthMethod, challenge.Hint.RememberMe, mfaVerified: true, caller, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        cookie.Set(context.Response, issued);
        return TypedResults.Ok(new SessionCreatedResponse(issued.Token, UserView.From(user, twoFactorEnabled: true), SessionView.From(issued.Session)));
    }

    /// <summary>Starts enrolment: a new secret and recovery codes, shown once; the factor does nothing until confirmed.</summary>
    public static async Task<Ok<TwoFactorEnableResponse>> EnableAsync(
        PasswordConfirmationRequest? request,
        HttpContext context,
        IamCallers callers,
        IamDbContext db,
        Reauthentication reauthentication,
        TotpAuthenticator totp,
        AuditLog audit,
        CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == caller.UserId, cancellationToken);
        await reauthentication.RequireAsync(caller, user.Id, request?.Password, cancellationToken);
        if (await db.MfaFactors.AnyAsync(f => f.UserId == user.Id && f.ConfirmedAt != null, cancellationToken))
        {
            throw new ApiException(ErrorCodes.Conflict, "A second factor is already set up; disable it first.", new { reason = "already_enabled" });
        }

        var enrolment = await totp.EnrolAsync(user.Id, user.Email, cancellationToken);
        audit.Add(caller.Audit(AuditEventTypes.AuthTwoFactorEnabled) with { SubjectUserId = user.Id, Metadata = new Dictionary<string, object?> { ["confirmed"] = false } });
        await db.SaveChangesAsync(cancellationToken);

        // The answer carries a secret: an Idempotency-Key repeat gets 409 naming the user whose factor it is.
        context.SetIdempotencyResourceId(user.Id);
        return TypedResults.Ok(new TwoFactorEnableResponse(enrolment.TotpUri, enrolment.Secret, enrolment.RecoveryCodes));
    }

    /// <summary>Confirms enrolment with a valid code; the current session becomes <c>mfaVerified</c>.</summary>
    public static async Task<Ok<UserView>> ConfirmAsync(
        TwoFactorConfirmRequest request,
        IamCallers callers,
        IamDbContext db,
        TotpAuthenticator totp,
        IamEvictions evictions,
        AuditLog audit,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == caller.UserId, cancellationToken);
        var factor = await db.MfaFactors.FirstOrDefaultAsync(f => f.UserId == user.Id && f.ConfirmedAt == null, cancellationToken)
            ?? throw new ApiException(ErrorCodes.Conflict, "There is no second factor waiting for confirmation; enable one first.", new { reason = "nothing_to_confirm" });
        if (!await totp.VerifyTotpAsync(factor, request.Code.Trim(), cancellationToken))
        {
            throw new ApiException(ErrorCodes.Unauthorized, "The code is not valid.");
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        factor.ConfirmedAt = now;
        factor.UpdatedAt = now;
        var sessionId = caller.Session!.Id;
        await db.Sessions.Where(s => s.Id == sessionId).ExecuteUpdateAsync(u => u.SetProperty(s => s.MfaVerified, true).SetProperty(s => s.UpdatedAt, now), cancellationToken);
        audit.Add(caller.Audit(AuditEventTypes.AuthTwoFactorEnabled) with { SubjectUserId = user.Id, Metadata = new Dictionary<string, object?> { ["confirmed"] = true } });
        await db.SaveChangesAsync(cancellationToken);

        // Every cached session of the user now reports twoFactorEnabled (and an operator's rights may change).
        evictions.User(user.Id);
        return TypedResults.Ok(UserView.From(user, twoFactorEnabled: true));
    }

    /// <summary>Removes the factor (a session that passed it, plus re-authentication); refused to operators while the rule requires it.</summary>
    public static async Task<Ok<UserView>> DisableAsync(
        PasswordConfirmationRequest? request,
        IamCallers callers,
        IamDbContext db,
        Reauthentication reauthentication,
        OperatorMfaRule rule,
        IamEvictions evictions,
        AuditLog audit,
        CancellationToken cancellationToken)
    {
        var caller = await RequireMfaSessionAsync(callers, cancellationToken);
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == caller.UserId, cancellationToken);
        await reauthentication.RequireAsync(caller, user.Id, request?.Password, cancellationToken);
        if (user.Role == UserRoles.PlatformAdmin && rule.Required)
        {
            throw new ApiException(ErrorCodes.Conflict, "Operators must keep their second factor on this deployment.", new { reason = "required_for_operators" });
        }

        var removed = await db.MfaFactors.Where(f => f.UserId == user.Id).ExecuteDeleteAsync(cancellationToken);
        if (removed == 0)
        {
            throw new ApiException(ErrorCodes.Conflict, "There is no second factor to disable.", new { reason = "no_factor" });
        }

        audit.Add(caller.Audit(AuditEventTypes.AuthTwoFactorDisabled) with { SubjectUserId = user.Id });
        await db.SaveChangesAsync(cancellationToken);
        evictions.User(user.Id);
        return TypedResults.Ok(UserView.From(user, twoFactorEnabled: false));
    }

    /// <summary>A new set of ten recovery codes (shown once); the old set stops working.</summary>
    public static async Task<Ok<RecoveryCodesResponse>> RegenerateRecoveryCodesAsync(
        PasswordConfirmationRequest? request,
        HttpContext context,
        IamCallers callers,
        IamDbContext db,
        Reauthentication reauthentication,
        TotpAuthenticator totp,
        AuditLog audit,
        CancellationToken cancellationToken)
    {
        var caller = await RequireMfaSessionAsync(callers, cancellationToken);
        var userId = caller.UserId!;
        await reauthentication.RequireAsync(caller, userId, request?.Password, cancellationToken);
        var factor = await db.MfaFactors.FirstOrDefaultAsync(f => f.UserId == userId && f.ConfirmedAt != null, cancellationToken)
            ?? throw new ApiException(ErrorCodes.Conflict, "There is no second factor.", new { reason = "no_factor" });
        var codes = totp.RegenerateRecoveryCodes(factor);
        audit.Add(caller.Audit(AuditEventTypes.AuthTwoFactorRecoveryCodesRegenerated) with { SubjectUserId = userId });
        await db.SaveChangesAsync(cancellationToken);
        context.SetIdempotencyResourceId(userId);
        return TypedResults.Ok(new RecoveryCodesResponse(codes));
    }

    private static async Task<IamCaller> RequireMfaSessionAsync(IamCallers callers, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        return caller.Session!.MfaVerified
            ? caller
            : throw new ApiException(ErrorCodes.Forbidden, "Sign in with your second factor first: this needs a session that passed it.", new { reason = "mfa_verification_required" });
    }

    private static ApiException InvalidChallenge() => new(ErrorCodes.Unauthorized, "The sign-in challenge is invalid or expired; sign in again.");
}
