using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Credentials;
using Nno.Core.Errors;
using Nno.Iam.Access;
using Nno.Iam.Audit;
using Nno.Iam.Auth;
using Nno.Iam.Data;
using Nno.Iam.Evictions;
using Nno.Iam.Passwords;
using Nno.Iam.Sessions;

namespace Nno.Iam.Users;

/// <summary>Profile, password and account deletion (iam.md §3.1).</summary>
internal static class AccountEndpoints
{
    public static async Task<Ok<UserView>> GetProfileAsync(IamCallers callers, IamDbContext db, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireUserAsync(cancellationToken);
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == caller.UserId, cancellationToken);
        var twoFactor = await db.MfaFactors.AnyAsync(f => f.UserId == user.Id && f.ConfirmedAt != null, cancellationToken);
        return TypedResults.Ok(UserView.From(user, twoFactor));
    }

    public static async Task<Ok<UserView>> UpdateProfileAsync(
        ProfilePatchRequest request,
        IamCallers callers,
        IamDbContext db,
        IamEvictions evictions,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        if (request.NameGiven && request.Name is null)
        {
            throw ApiException.Validation("name", "must not be null");
        }

        var name = request.NameGiven ? ProfileRules.Name(request.Name) : null;
        var image = request.ImageGiven && request.Image is not null ? ProfileRules.Image(request.Image) : null;
        var user = await db.Users.FirstAsync(u => u.Id == caller.UserId, cancellationToken);
        if (name is not null)
        {
            user.Name = name;
        }

        if (request.ImageGiven)
        {
            user.Image = image;
        }

        if (db.ChangeTracker.HasChanges())
        {
            user.UpdatedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
            await db.SaveChangesAsync(cancellationToken);

            // The gateway caches the user object of every session.
            evictions.User(user.Id);
        }

        var twoFactor = await db.MfaFactors.AnyAsync(f => f.UserId == user.Id && f.ConfirmedAt != null, cancellationToken);
        return TypedResults.Ok(UserView.From(user, twoFactor));
    }

    /// <summary>
    /// Sets a new password. The current one is required unless the user has none yet or the session is a magic-link
    /// session younger than 15 minutes (the "forgot password" path, iam.md §3.1).
    /// </summary>
    public static async Task<Ok<SuccessResponse>> ChangePasswordAsync(
        ChangePasswordRequest request,
        IamCallers callers,
        IamDbContext db,
        PasswordPolicy policy,
        PasswordHashing hashing,
        Reauthentication reauthentication,
        SessionStore sessions,
        IamEvictions evictions,
        AuditLog audit,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        var session = caller.Session!;
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == caller.UserId, cancellationToken);
        var account = await db.Accounts.FirstOrDefaultAsync(a => a.UserId == user.Id && a.ProviderId == AccountProviders.Credential, cancellationToken);
        var hasPassword = account?.PasswordHash is not null;
        var freshMagicLink = session.AuthMethod == AuthMethods.MagicLink && reauthentication.IsFresh(caller);
        if (!string.IsNullOrEmpty(request.CurrentPassword) && hasPassword)
        {
            if (request.CurrentPassword.Length > PasswordPolicy.MaxLength * 4
                || await hashing.VerifyAsync(account!.PasswordHash, UnicodeText.ToNfc(request.CurrentPassword), cancellationToken) == PasswordVerification.Failed)
            {
                throw Reauthentication.WrongPassword();
            }
        }
        else if (hasPassword && !freshMagicLink)
        {
            throw new ApiException(ErrorCodes.Forbidden, "The current password is required.", new { reason = "current_password_required" });
        }

        // A stored address always parses; if it ever did not, the email rule is simply not applied.
        var email = EmailAddress.TryParse(user.Email, out var parsed, out _) ? parsed : null;
        var password = policy.Validate(request.NewPassword, email);
        var hash = await hashing.HashAsync(password, cancellationToken);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (account is null)
        {
            db.Accounts.Add(new AccountRecord { Id = IamIds.New("acc"), UserId = user.Id, ProviderId = AccountProviders.Credential, AccountId = user.Id, PasswordHash = hash, CreatedAt = now, UpdatedAt = now });
        }
        else
        {
            account.PasswordHash = hash;
            account.UpdatedAt = now;
        }

        var revoked = 0;
        if (request.RevokeOtherSessions ?? true)
        {
            revoked = await sessions.RevokeAsync(q => q.Where(s => s.UserId == user.Id && s.Id != session.Id), RevokeReasons.PasswordChange, cancellationToken);
        }

        audit.Add(caller.Audit(AuditEventTypes.AuthPasswordChanged) with
        {
            SubjectUserId = user.Id,
            Metadata = new Dictionary<string, object?> { ["firstPassword"] = !hasPassword, ["revokedSessions"] = revoked },
        });
        await db.SaveChangesAsync(cancellationToken);
        evictions.User(user.Id);
        return TypedResults.Ok(new SuccessResponse(true));
    }

    /// <summary>Deletes the caller's account and everything that references it; audit events keep the id (iam.md §3.1, §4.12).</summary>
    public static async Task<Ok<SuccessResponse>> DeleteUserAsync(
        PasswordConfirmationRequest? request,
        HttpContext context,
        IamCallers callers,
        Reauthentication reauthentication,
        AccountDeletion deletion,
        SessionCookie cookie,
        CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        await reauthentication.RequireAsync(caller, caller.UserId!, request?.Password, cancellationToken);
        await deletion.DeleteAsync(caller, cancellationToken);
        cookie.Clear(context.Response);
        return TypedResults.Ok(new SuccessResponse(true));
    }
}
