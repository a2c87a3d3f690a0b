using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Core.Credentials;
using Nno.Core.Errors;
using Nno.Iam.Access;
using Nno.Iam.Audit;
using Nno.Iam.Auth;
using Nno.Iam.Data;
using Nno.Iam.Links;
using Nno.Iam.Passwords;
using Nno.Iam.Sessions;
using Nno.Iam.Users;
using Nno.Iam.Verifications;

namespace Nno.Iam.SignIn;

/// <summary>Sign-up, password sign-in, sign-out and the current session (iam.md §3.1, §4.4, §4.5, §4.12).</summary>
internal static class SignInEndpoints
{
    /// <summary>The one answer for an unknown email and a wrong password (iam.md §6: no enumeration).</summary>
    public static ApiException InvalidCredentials() => new(ErrorCodes.Unauthorized, "Invalid email or password.");

    public static async Task<Ok<SignUpResponse>> SignUpAsync(
        SignUpRequest request,
        HttpContext context,
        IamCallers callers,
        IamDbContext db,
        PasswordPolicy policy,
        PasswordHashing hashing,
        CallbackUrls callbacks,
        EmailLinks links,
        SessionStore sessions,
        SessionCookie cookie,
        AuditLog audit,
        IOptions<IamOptions> iam,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (!iam.Value.SignUpEnabled)
        {
            throw new ApiException(ErrorCodes.Forbidden, "Sign-up is disabled on this deployment; ask for an invitation.", new { reason = "sign_up_disabled" });
        }

        var email = EmailAddress.Parse(request.Email);
        var name = ProfileRules.Name(request.Name);
        var image = request.Image is null ? null : ProfileRules.Image(request.Image);
        callbacks.Require(request.CallbackUrl);
        var password = policy.Validate(request.Password, email);
        if (await db.Users.AnyAsync(u => u.EmailNormalized == email.Normalized, cancellationToken))
        {
            throw EmailTaken();
        }

        var caller = await callers.GetAsync(cancellationToken);
        var hash = await hashing.HashAsync(password, cancellationToken);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var user = new UserRecord
        {
            Id = IamIds.New("usr"),
            Email = email.Value,
            EmailNormalized = email.Normalized,
            Name = name,
            Image = image,
            CreatedAt = now,
            UpdatedAt = now,
        };

        // iam.md §4.12: user, credential, session and audit event in one transaction.
        db.Users.Add(user);
        db.Accounts.Add(new AccountRecord { Id = IamIds.New("acc"), UserId = user.Id, ProviderId = AccountProviders.Credential, AccountId = user.Id, PasswordHash = hash, CreatedAt = now, UpdatedAt = now });
        var issued = await sessions.CreateAsync(
            user.Id,
            new NewSession { AuthMethod = AuthMethods.SignUp, Kind = request.RememberMe ?? true ? SessionKind.Browser : SessionKind.BrowserShort, IpAddress = caller.Ip, UserAgent = caller.UserAgent },
            cancellationToken);
        audit.Add(caller.Audit(AuditEventTypes.UserSignedUp).AsUser(user.Id) with { Metadata = new Dictionary<string, object?> { ["method"] = "email", ["sessionId"] = issued.Session.Id } });
        if (await links.MaySendAsync(email.Normalized, cancellationToken))
        {
            links.Send(VerificationPurposes.VerifyEmail, email.Normalized, email.Value, request.CallbackUrl);
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // A concurrent sign-up with the same address won the unique index; anything else is a real failure.
            db.ChangeTracker.Clear();
            if (await db.Users.AsNoTracking().AnyAsync(u => u.EmailNormalized == email.Normalized, CancellationToken.None))
            {
                throw EmailTaken();
            }

            throw;
        }

        cookie.Set(context.Response, issued);
        return TypedResults.Ok(new SignUpResponse(issued.Token, UserView.From(user, twoFactorEnabled: false)));
    }

    public static async Task<Results<Ok<SignInResponse>, Ok<TwoFactorRedirectResponse>>> SignInEmailAsync(
        SignInRequest request,
        HttpContext context,
        IamCallers callers,
        IamDbContext db,
        PasswordHashing hashing,
        CallbackUrls callbacks,
        SignInThrottle throttle,
        SignInCompletion completion,
        SessionCookie cookie,
        AuditLog audit,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var email = EmailAddress.Parse(request.Email);
        if (request.Password.Length > PasswordPolicy.MaxLength)
        {
            throw ApiException.Validation(PasswordPolicy.Field, PasswordPolicy.Codes.TooLong);
        }

        callbacks.Require(request.CallbackUrl);
        var caller = await callers.GetAsync(cancellationToken);

        // Locked: 429 before the password is looked at, identically whether the account exists or not (iam.md §4.5).
        await throttle.ThrowIfLockedAsync(email.Normalized, cancellationToken);

        var user = await db.Users.FirstOrDefaultAsync(u => u.EmailNormalized == email.Normalized, cancellationToken);
        var account = user is null ? null
            : await db.Accounts.FirstOrDefaultAsync(a => a.UserId == user.Id && a.ProviderId == AccountProviders.Credential, cancellationToken);

        // With no stored hash the dummy hash is checked, so an unknown email costs the same time (iam.md §4.4).
        var password = UnicodeText.ToNfc(request.Password);
        var verification = await hashing.VerifyAsync(account?.PasswordHash, password, cancellationToken);
        if (verification == PasswordVerification.Failed)
        {
            var failure = caller.Audit(AuditEventTypes.AuthSignInFailed, "failure") with
            {
                SubjectUserId = user?.Id,
                Metadata = new Dictionary<string, object?> { ["method"] = AuthMethods.Password, ["reason"] = "invalid_credentials" },
            };
            await audit.WriteAsync(failure, CancellationToken.None);
            await throttle.RecordFailureAsync(email.Normalized, user, caller.Audit(AuditEventTypes.AuthSignInLocked, "failure"), CancellationToken.None);
            throw InvalidCredentials();
        }

        // Only someone who knows the password learns that the account is disabled.
        if (user!.DisabledAt is not null)
        {
            await audit.WriteAsync(
                caller.Audit(AuditEventTypes.AuthSignInFailed, "failure") with { SubjectUserId = user.Id, Metadata = new Dictionary<string, object?> { ["method"] = AuthMethods.Password, ["reason"] = "disabled" } },
                CancellationToken.None);
            throw new ApiException(ErrorCodes.Forbidden, "This account is disabled.", new { reason = "account_disabled" });
        }

        if (verification == PasswordVerification.SuccessRehashNeeded)
        {
            account!.PasswordHash = await hashing.HashAsync(password, cancellationToken);
            account.UpdatedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
        }

        await throttle.ResetFailuresAsync(email.Normalized, cancellationToken);
        var outcome = await completion.BeginAsync(user, AuthMethods.Password, request.RememberMe ?? true, caller, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        if (outcome.ChallengeToken is { } challenge)
        {
            return TypedResults.Ok(new TwoFactorRedirectResponse(true, challenge));
        }

        var issued = outcome.Session!;
        cookie.Set(context.Response, issued);
        var url = request.CallbackUrl is null ? null : callbacks.Resolve(request.CallbackUrl);
        return TypedResults.Ok(new SignInResponse(url is not null, issued.Token, url, UserView.From(user, twoFactorEnabled: false)));
    }

    public static async Task<Ok<SuccessResponse>> SignOutAsync(
        HttpContext context,
        IamCallers callers,
        IamDbContext db,
        SessionStore sessions,
        SessionCookie cookie,
        AuditLog audit,
        CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        var sessionId = caller.Session!.Id;

        // RevokeAsync publishes session=<id> on the channel and as X-Nno-Cache-Evict.
        await sessions.RevokeAsync(q => q.Where(s => s.Id == sessionId), RevokeReasons.SignOut, cancellationToken);
        audit.Add(caller.Audit(AuditEventTypes.AuthSignOut) with { SubjectUserId = caller.UserId, Metadata = new Dictionary<string, object?> { ["sessionId"] = sessionId } });
        await db.SaveChangesAsync(cancellationToken);
        cookie.Clear(context.Response);
        return TypedResults.Ok(new SuccessResponse(true));
    }

    public static async Task<Ok<CurrentSessionResponse>> GetSessionAsync(IamCallers callers, SessionStore sessions, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        var valid = await sessions.FindByIdAsync(caller.Session!.Id, cancellationToken)
            ?? throw new ApiException(ErrorCodes.Unauthorized, "The session is no longer valid.");
        return TypedResults.Ok(new CurrentSessionResponse(SessionView.From(valid.Session), UserView.From(valid.User, valid.TwoFactorEnabled)));
    }

    private static ApiException EmailTaken() =>
        new(ErrorCodes.Conflict, "An account with this email address already exists.", new { field = "email" });
}
