using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Core.Credentials;
using Nno.Core.Errors;
using Nno.Iam.Access;
using Nno.Iam.Audit;
using Nno.Iam.Auth;
using Nno.Iam.Data;
using Nno.Iam.Evictions;
using Nno.Iam.Links;
using Nno.Iam.Sessions;
using Nno.Iam.SignIn;
using Nno.Iam.Users;

namespace Nno.Iam.Verifications;

/// <summary>Magic links, email verification and invitation links (iam.md §3.1, §4.10).</summary>
internal static class EmailLinkEndpoints
{
    /// <summary>Where an invitation link lands: the console page that lists the invitee's invitations.</summary>
    public const string InvitationsPath = "/invitations";

    /// <summary><c>invitations.status</c> of an invitation that can still be accepted.</summary>
    private const string PendingInvitation = "pending";

    /// <summary>
    /// Always 200 <c>{status:true}</c>: whether an email went out (known address, sign-up enabled, under the per-address
    /// limit) is never revealed (iam.md §6).
    /// </summary>
    public static async Task<Ok<StatusResponse>> SendMagicLinkAsync(
        MagicLinkRequest request,
        IamCallers callers,
        IamDbContext db,
        CallbackUrls callbacks,
        EmailLinks links,
        AuditLog audit,
        IOptions<IamOptions> iam,
        CancellationToken cancellationToken)
    {
        var email = EmailAddress.Parse(request.Email);
        var name = request.Name is null ? null : ProfileRules.Name(request.Name);
        callbacks.Require(request.CallbackUrl);
        var caller = await callers.GetAsync(cancellationToken);

        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.EmailNormalized == email.Normalized, cancellationToken);
        var send = user is not null ? user.DisabledAt is null : iam.Value.SignUpEnabled;
        if (send && await links.MaySendAsync(email.Normalized, cancellationToken))
        {
            links.Send(VerificationPurposes.MagicLink, email.Normalized, user?.Email ?? email.Value, request.CallbackUrl, name);
        }
        else
        {
            send = false;
        }

        audit.Add(caller.Audit(AuditEventTypes.AuthMagicLinkRequested) with
        {
            SubjectUserId = user?.Id,
            Metadata = new Dictionary<string, object?> { ["purpose"] = VerificationPurposes.MagicLink, ["sent"] = send },
        });
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new StatusResponse(true));
    }

    /// <summary>
    /// Spends an emailed link of any purpose (called by the console's server). With <c>callbackURL</c> the answer is a
    /// 302 to it (and to <c>callbackURL?error=INVALID_TOKEN</c> for a bad link); otherwise JSON.
    /// </summary>
    public static async Task<Results<Ok<LinkSessionResponse>, Ok<LinkChallengeResponse>, RedirectHttpResult>> VerifyAsync(
        [FromQuery(Name = "token")] string? token,
        [FromQuery(Name = "callbackURL")] string? callbackUrl,
        HttpContext context,
        IamCallers callers,
        IamDbContext db,
        CallbackUrls callbacks,
        EmailLinks links,
        SignInThrottle throttle,
        SignInCompletion completion,
        SessionCookie cookie,
        IamEvictions evictions,
        AuditLog audit,
        IOptions<IamOptions> iam,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        callbacks.Require(callbackUrl);
        var caller = await callers.GetAsync(cancellationToken);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();

        // The link is spent and the session created in one transaction: a failure after the conditional update leaves
        // the link unspent.
        UserRecord? user = null;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var link = await links.ConsumeAsync(token, cancellationToken);
        if (link is null)
        {
            return await RejectAsync("INVALID_TOKEN", "The link is invalid, expired or already used.", ErrorCodes.Unauthorized);
        }

        user = await db.Users.FirstOrDefaultAsync(u => u.EmailNormalized == link.Identifier, cancellationToken);
        var created = false;
        string? landing = link.CallbackUrl;
        switch (link.Purpose)
        {
            case VerificationPurposes.MagicLink when user is null:
                if (!iam.Value.SignUpEnabled)
                {
                    return await RejectAsync("INVALID_TOKEN", "The link is invalid, expired or already used.", ErrorCodes.Unauthorized);
                }

                user = NewUser(link.Identifier, link.NewUserName, now);
                created = true;
                break;

            case VerificationPurposes.VerifyEmail when user is null:
                return await RejectAsync("INVALID_TOKEN", "The link is invalid, expired or already used.", ErrorCodes.Unauthorized);

            case VerificationPurposes.Invitation:
            {
                // The invitation is the permission to create the account, even with sign-up disabled (iam.md §4.10).
                var invitation = await db.Invitations.AsNoTracking().FirstOrDefaultAsync(i => i.Id == link.InvitationId, cancellationToken);
                if (invitation is null || invitation.Status != PendingInvitation || invitation.ExpiresAt <= now || invitation.EmailNormalized != link.Identifier)
                {
                    return await RejectAsync("INVALID_TOKEN", "The invitation link is invalid, expired or already used.", ErrorCodes.Unauthorized);
                }

                if (user is null)
                {
                    user = NewUser(link.Identifier, link.NewUserName, now);
                    created = true;
                }

                landing = InvitationsPath;
                break;
            }
        }

        if (user!.DisabledAt is not null)
        {
            return await RejectAsync("ACCOUNT_DISABLED", "This account is disabled.", ErrorCodes.Forbidden);
        }

        if (created)
        {
            db.Users.Add(user);
            audit.Add(caller.Audit(AuditEventTypes.UserSignedUp).AsUser(user.Id) with { Metadata = new Dictionary<string, object?> { ["method"] = link.Purpose } });
        }

        var verifiedNow = !user.EmailVerified;
        if (verifiedNow)
        {
            user.EmailVerified = true;
            user.UpdatedAt = now;
            audit.Add(caller.Audit(AuditEventTypes.AuthEmailVerified).AsUser(user.Id));
        }

        audit.Add(caller.Audit(AuditEventTypes.AuthMagicLinkUsed).AsUser(user.Id) with { Metadata = new Dictionary<string, object?> { ["purpose"] = link.Purpose } });

        // Following an emailed link proves control of the mailbox: the password lockout is lifted (iam.md §4.5).
        await throttle.ClearAsync(link.Identifier, cancellationToken);
        var outcome = await completion.BeginAsync(user, AuthMethods.MagicLink, rememberMe: true, caller, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (verifiedNow && !created)
        {
            evictions.User(user.Id);
        }

        var answerCallback = callbackUrl ?? landing;
        if (outcome.ChallengeToken is { } challenge)
        {
            // No redirect here: the challenge token must reach the console's server, never a browser URL.
            return TypedResults.Ok(new LinkChallengeResponse(true, challenge, answerCallback));
        }

        var issued = outcome.Session!;
        cookie.Set(context.Response, issued);
        if (callbackUrl is not null)
        {
            return TypedResults.Redirect(callbacks.Resolve(callbackUrl));
        }

        // A session (not a challenge) means the user has no confirmed second factor.
        return TypedResults.Ok(new LinkSessionResponse(issued.Token, UserView.From(user, twoFactorEnabled: false), SessionView.From(issued.Session), answerCallback));

        async Task<RedirectHttpResult> RejectAsync(string redirectError, string message, string code)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            db.ChangeTracker.Clear();
            await audit.WriteAsync(
                caller.Audit(AuditEventTypes.AuthMagicLinkUsed, "failure") with { SubjectUserId = user?.Id, Metadata = new Dictionary<string, object?> { ["reason"] = redirectError.ToLowerInvariant() } },
                CancellationToken.None);
            if (callbackUrl is null)
            {
                throw new ApiException(code, message);
            }

            var target = callbacks.Resolve(callbackUrl);
            return TypedResults.Redirect(target + (target.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "error=" + redirectError);
        }
    }

    /// <summary>Queues a new <c>verify-email</c> link for the caller (at most 3 links per 15 min; more answer 200 and send nothing).</summary>
    public static async Task<Ok<StatusResponse>> SendVerificationEmailAsync(
        SendVerificationEmailRequest? request,
        IamCallers callers,
        IamDbContext db,
        CallbackUrls callbacks,
        EmailLinks links,
        AuditLog audit,
        CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        callbacks.Require(request?.CallbackUrl);
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == caller.UserId, cancellationToken);
        if (user.EmailVerified)
        {
            throw new ApiException(ErrorCodes.Conflict, "The email address is already verified.", new { reason = "already_verified" });
        }

        var send = await links.MaySendAsync(user.EmailNormalized, cancellationToken);
        if (send)
        {
            links.Send(VerificationPurposes.VerifyEmail, user.EmailNormalized, user.Email, request?.CallbackUrl);
        }

        audit.Add(caller.Audit(AuditEventTypes.AuthMagicLinkRequested) with
        {
            SubjectUserId = user.Id,
            Metadata = new Dictionary<string, object?> { ["purpose"] = VerificationPurposes.VerifyEmail, ["sent"] = send },
        });
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new StatusResponse(true));
    }

    /// <summary>A user created by following a link: verified email, no credential account (a password can be set later).</summary>
    private static UserRecord NewUser(string emailNormalized, string? name, long now) => new()
    {
        Id = IamIds.New("usr"),
        Email = emailNormalized,
        EmailNormalized = emailNormalized,
        Name = name ?? emailNormalized[..emailNormalized.IndexOf('@', StringComparison.Ordinal)],
        EmailVerified = false,
        CreatedAt = now,
        UpdatedAt = now,
    };
}
