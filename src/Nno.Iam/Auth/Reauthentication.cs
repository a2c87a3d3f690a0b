using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Core.Credentials;
using Nno.Core.Errors;
using Nno.Iam.Access;
using Nno.Iam.Data;
using Nno.Iam.Passwords;
using Nno.Iam.Users;

namespace Nno.Iam.Auth;

/// <summary>Values of <c>accounts.provider_id</c>.</summary>
internal static class AccountProviders
{
    public const string Credential = "credential";
}

/// <summary>
/// The proof of presence of iam.md §3.1 for enabling/disabling the second factor, new recovery codes and account
/// deletion: the user's password when a credential account exists, else a session younger than
/// <see cref="AuthOptions.FreshSession"/>.
/// </summary>
internal sealed class Reauthentication(IamDbContext db, PasswordHashing hashing, TimeProvider time, IOptions<AuthOptions> options)
{
    /// <summary>The stored password hash of <paramref name="userId"/>, or null when the user has no password.</summary>
    public Task<string?> PasswordHashOfAsync(string userId, CancellationToken cancellationToken) =>
        db.Accounts.Where(a => a.UserId == userId && a.ProviderId == AccountProviders.Credential).Select(a => a.PasswordHash).FirstOrDefaultAsync(cancellationToken);

    /// <summary>True when <paramref name="caller"/>'s session was created within the freshness window.</summary>
    public bool IsFresh(IamCaller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return caller.Session is { } session && time.GetUtcNow().ToUnixTimeMilliseconds() - session.CreatedAt < (long)options.Value.FreshSession.TotalMilliseconds;
    }

    /// <summary>400 without a needed password, 401 for a wrong one, 403 <c>reauthentication_required</c> for an old session of a password-less user.</summary>
    public async Task RequireAsync(IamCaller caller, string userId, string? password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var hash = await PasswordHashOfAsync(userId, cancellationToken);
        if (hash is not null)
        {
            if (string.IsNullOrEmpty(password))
            {
                throw ApiException.Validation("password", "is required");
            }

            if (password.Length > PasswordPolicy.MaxLength * 4
                || await hashing.VerifyAsync(hash, UnicodeText.ToNfc(password), cancellationToken) == PasswordVerification.Failed)
            {
                throw WrongPassword();
            }

            return;
        }

        if (!IsFresh(caller))
        {
            throw new ApiException(ErrorCodes.Forbidden, "Sign in again with an email link first: this needs a recent sign-in.", new { reason = "reauthentication_required" });
        }
    }

    public static ApiException WrongPassword() => new(ErrorCodes.Unauthorized, "The password is not correct.");
}
