using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Core.Credentials;
using Nno.Core.Errors;
using Nno.Core.Pagination;
using Nno.Iam.Access;
using Nno.Iam.Audit;
using Nno.Iam.Data;
using Nno.Iam.Evictions;
using Nno.Iam.Mfa;
using Nno.Iam.Organizations;
using Nno.Iam.Paging;
using Nno.Iam.Sessions;
using Nno.ServiceDefaults.Evictions;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam.Users;

/// <summary>The <c>user</c> object plus what operators see (<c>disabledAt</c>).</summary>
internal sealed record UserAdminView(
    string Id,
    string Email,
    string Name,
    string? Image,
    bool EmailVerified,
    string Role,
    bool TwoFactorEnabled,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? DisabledAt)
{
    public static UserAdminView From(UserRecord user, bool twoFactorEnabled)
    {
        ArgumentNullException.ThrowIfNull(user);
        return new UserAdminView(
            user.Id,
            user.Email,
            user.Name,
            user.Image,
            user.EmailVerified,
            user.Role,
            twoFactorEnabled,
            DateTimeOffset.FromUnixTimeMilliseconds(user.CreatedAt),
            DateTimeOffset.FromUnixTimeMilliseconds(user.UpdatedAt),
            user.DisabledAt is { } disabled ? DateTimeOffset.FromUnixTimeMilliseconds(disabled) : null);
    }
}

/// <summary>One platform membership of a user.</summary>
internal sealed record UserPlatformView(string PlatformId, string Role, DateTimeOffset CreatedAt);

/// <summary><c>GET /api/nno/users/{id}</c>: the user with their platforms.</summary>
internal sealed record UserDetailView(
    string Id,
    string Email,
    string Name,
    string? Image,
    bool EmailVerified,
    string Role,
    bool TwoFactorEnabled,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? DisabledAt,
    IReadOnlyList<UserPlatformView> Platforms);

/// <summary><c>PATCH /api/nno/users/{id}</c> body.</summary>
internal sealed record UpdateUserRequest(string? Role = null, bool? Disabled = null);

/// <summary>Users administration for operators (iam.md §3.5): list, read, promote/demote, disable/enable.</summary>
internal static class UsersApi
{
    public const string Path = "/api/nno/users";

    public static IEndpointRouteBuilder MapUsers(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).WithTags("Users");
        group.MapGet("", ListAsync)
            .WithName("ListUsers")
            .WithSummary("Every user, oldest first, filtered by email prefix or role (operators).")
            .Produces<ErrorEnvelope>(StatusCodes.Status403Forbidden, "application/json");
        group.MapGet("/me/export", AccountExport.ExportAsync)
            .WithName("ExportMyAccount")
            .WithSummary("Everything IAM holds about the caller: profile, sessions, memberships, invitations, key metadata and audit events of the last 400 days.");
        group.MapGet("/{id}", GetAsync)
            .WithName("GetUser")
            .WithSummary("A user with their platform memberships (operators, or the user themselves).")
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json");
        group.MapPatch("/{id}", UpdateAsync)
            .WithName("UpdateUser")
            .WithSummary("Promote, demote, disable or enable a user (operators). Disabling revokes every session and key.")
            .Produces<ErrorEnvelope>(StatusCodes.Status400BadRequest, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status409Conflict, "application/json");
        return app;
    }

    private static async Task<Ok<Page<UserAdminView>>> ListAsync(
        HttpContext context,
        IamDbContext db,
        IamCursors cursors,
        [FromQuery] string? email,
        [FromQuery] string? role,
        [FromQuery] string? cursor,
        [FromQuery] string? limit,
        [FromQuery] string? includeTotal,
        CancellationToken cancellationToken)
    {
        context.RequireOperator();
        var page = IamCursors.Parse(limit, cursor, includeTotal);
        if (role is not null and not (UserRoles.PlatformAdmin or UserRoles.User))
        {
            throw ApiException.Validation("role", "must be platform-admin or user");
        }

        // A prefix of the normalized form: lower-case as normalisation does; the domain part is matched as typed.
        var prefix = email is null ? null : UnicodeText.ToNfc(email.Trim()).ToLowerInvariant();
        if (prefix is { Length: > 254 })
        {
            throw ApiException.Validation("email", "must be at most 254 characters");
        }

        IQueryable<UserRecord> users = db.Users.AsNoTracking();
        users = role is null ? users : users.Where(u => u.Role == role);
        users = string.IsNullOrEmpty(prefix) ? users : users.Where(u => u.EmailNormalized.StartsWith(prefix));

        var pager = cursors.Pager("users", ("email", prefix), ("role", role));
        var total = page.IncludeTotal ? await users.CountAsync(cancellationToken) : (int?)null;
        if (pager.After(page) is { } after)
        {
            var (createdAt, id) = (after.Expect(2).GetInt64(0), after.GetString(1));
            users = users.Where(u => u.CreatedAt > createdAt || (u.CreatedAt == createdAt && string.Compare(u.Id, id) > 0));
        }

        var rows = await users.OrderBy(u => u.CreatedAt).ThenBy(u => u.Id).Take(page.FetchCount)
            .Select(u => new { User = u, TwoFactor = db.MfaFactors.Any(f => f.UserId == u.Id && f.ConfirmedAt != null) })
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(pager.ToPage(rows, page, r => CursorPosition.Of(r.User.CreatedAt, r.User.Id), r => UserAdminView.From(r.User, r.TwoFactor), total));
    }

    private static async Task<Ok<UserDetailView>> GetAsync(string id, IamCallers callers, IamDbContext db, IOptions<IamOptions> iam, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        if (!caller.IsOperator && caller.UserId != id)
        {
            // Services are not on this route; other users are not revealed.
            throw caller.Kind == PrincipalKind.Service ? new ApiException(ErrorCodes.Forbidden, "This route is not for services.") : ApiException.NotFound("user");
        }

        var found = await db.Users.AsNoTracking().Where(u => u.Id == id)
            .Select(u => new { User = u, TwoFactor = db.MfaFactors.Any(f => f.UserId == u.Id && f.ConfirmedAt != null) })
            .FirstOrDefaultAsync(cancellationToken) ?? throw ApiException.NotFound("user");
        var operatorPlatform = iam.Value.OperatorPlatformId;
        var platforms = await db.PlatformMembers.AsNoTracking()
            .Where(m => m.UserId == id && m.PlatformId != operatorPlatform)
            .OrderBy(m => m.CreatedAt).ThenBy(m => m.PlatformId)
            .Select(m => new { m.PlatformId, m.Role, m.CreatedAt })
            .ToListAsync(cancellationToken);
        var view = UserAdminView.From(found.User, found.TwoFactor);
        return TypedResults.Ok(new UserDetailView(
            view.Id, view.Email, view.Name, view.Image, view.EmailVerified, view.Role, view.TwoFactorEnabled, view.CreatedAt, view.UpdatedAt, view.DisabledAt,
            [.. platforms.Select(p => new UserPlatformView(p.PlatformId, p.Role, DateTimeOffset.FromUnixTimeMilliseconds(p.CreatedAt)))]));
    }

    private static async Task<Ok<UserAdminView>> UpdateAsync(string id, UpdateUserRequest request, UserAdministration administration, CancellationToken cancellationToken) =>
        TypedResults.Ok(await administration.UpdateAsync(id, request, cancellationToken));
}

/// <summary>
/// Role and disabled-state changes (iam.md §3.5, §4.12): only operators, never on themselves, never leaving the system
/// without an enabled operator, promotion only with a confirmed second factor where operators need one. Every change
/// evicts the user from the gateway's cache; disabling also revokes their sessions and keys.
/// </summary>
internal sealed class UserAdministration(
    IamCallers callers,
    IamDbContext db,
    AuditLog audit,
    SessionStore sessions,
    IamEvictions evictions,
    OperatorMfaRule mfa,
    TimeProvider time,
    IOptions<IamOptions> iam)
{
    public async Task<UserAdminView> UpdateAsync(string id, UpdateUserRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        if (!caller.IsOperator)
        {
            throw new ApiException(ErrorCodes.Forbidden, "Only operators change users' roles and access.");
        }

        if (request.Role is not null and not (UserRoles.PlatformAdmin or UserRoles.User))
        {
            throw ApiException.Validation("role", "must be platform-admin or user");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == id, cancellationToken) ?? throw ApiException.NotFound("user");
        if (user.Id == caller.UserId)
        {
            throw new ApiException(ErrorCodes.Conflict, "Operators cannot change their own role or access; ask another operator.", new { reason = "self" });
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var wasEnabledOperator = user.Role == UserRoles.PlatformAdmin && user.DisabledAt is null;
        var demote = request.Role == UserRoles.User && user.Role == UserRoles.PlatformAdmin;
        var promote = request.Role == UserRoles.PlatformAdmin && user.Role == UserRoles.User;
        var disable = request.Disabled == true && user.DisabledAt is null;
        var enable = request.Disabled == false && user.DisabledAt is not null;

        // Checked inside the transaction (SQLite: one writer), so two operators cannot demote each other at once.
        if (wasEnabledOperator && (demote || disable)
            && !await db.Users.AnyAsync(u => u.Id != user.Id && u.Role == UserRoles.PlatformAdmin && u.DisabledAt == null, cancellationToken))
        {
            throw new ApiException(ErrorCodes.Conflict, "This is the last enabled operator.", new { reason = "last_operator" });
        }

        if (promote && mfa.Required && !await db.MfaFactors.AnyAsync(f => f.UserId == user.Id && f.ConfirmedAt != null, cancellationToken))
        {
            throw new ApiException(ErrorCodes.Conflict, "Operators need a confirmed second factor; the user must enrol one first.", new { reason = "mfa_required" });
        }

        var caused = new List<CredentialEviction>();
        if (promote || demote)
        {
            var from = user.Role;
            user.Role = request.Role!;
            user.UpdatedAt = now;
            await (promote ? JoinOperatorOrganizationAsync(user.Id, now, cancellationToken) : LeaveOperatorOrganizationAsync(user.Id, now, cancellationToken));
            audit.Add(caller.Audit(AuditEventTypes.UserRoleChanged) with { SubjectUserId = user.Id, Metadata = With(caller, ("from", from), ("to", user.Role)) });
        }

        if (disable)
        {
            user.DisabledAt = now;
            user.UpdatedAt = now;
            var keys = await db.ApiKeys.Where(k => k.UserId == user.Id && k.RevokedAt == null).Select(k => k.Id).ToListAsync(cancellationToken);
            await db.ApiKeys.Where(k => k.UserId == user.Id && k.RevokedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(k => k.RevokedAt, now).SetProperty(k => k.RevokedBy, caller.UserId ?? caller.Principal.UserId), cancellationToken);
            caused.AddRange(keys.Select(CredentialEviction.ApiKey));
            audit.Add(caller.Audit(AuditEventTypes.UserDisabled) with { SubjectUserId = user.Id, Metadata = With(caller, ("revokedKeys", keys.Count)) });
        }
        else if (enable)
        {
            user.DisabledAt = null;
            user.UpdatedAt = now;
            audit.Add(caller.Audit(AuditEventTypes.UserEnabled) with { SubjectUserId = user.Id });
        }

        await db.SaveChangesAsync(cancellationToken);
        if (disable)
        {
            await sessions.RevokeAsync(q => q.Where(s => s.UserId == user.Id), RevokeReasons.UserDisabled, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        evictions.Publish([CredentialEviction.User(user.Id), .. caused]);
        var twoFactor = await db.MfaFactors.AnyAsync(f => f.UserId == user.Id && f.ConfirmedAt != null, cancellationToken);
        return UserAdminView.From(user, twoFactor);
    }

    /// <summary>Promotion: an <c>admin</c> membership in the <c>nno-operator</c> organization (when bootstrap created it).</summary>
    private async Task JoinOperatorOrganizationAsync(string userId, long now, CancellationToken cancellationToken)
    {
        var organizationId = await OperatorOrganizationIdAsync(cancellationToken);
        if (organizationId is null || await db.Members.AnyAsync(m => m.OrganizationId == organizationId && m.UserId == userId, cancellationToken))
        {
            return;
        }

        db.Members.Add(new MemberRecord { Id = IamIds.New("mem"), OrganizationId = organizationId, UserId = userId, Role = "admin", CreatedAt = now, UpdatedAt = now });
    }

    /// <summary>
    /// Demotion: the user leaves the operator organization (and the operator platform). When they owned it alone,
    /// the longest-standing remaining member becomes owner, so the organization keeps an owner (iam.md §4.12).
    /// </summary>
    private async Task LeaveOperatorOrganizationAsync(string userId, long now, CancellationToken cancellationToken)
    {
        var operatorPlatform = iam.Value.OperatorPlatformId;
        await db.PlatformMembers.Where(m => m.PlatformId == operatorPlatform && m.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        var organizationId = await OperatorOrganizationIdAsync(cancellationToken);
        if (organizationId is null)
        {
            return;
        }

        var membership = await db.Members.FirstOrDefaultAsync(m => m.OrganizationId == organizationId && m.UserId == userId, cancellationToken);
        if (membership is null)
        {
            return;
        }

        db.Members.Remove(membership);
        if (membership.Role == "owner" && !await db.Members.AnyAsync(m => m.OrganizationId == organizationId && m.UserId != userId && m.Role == "owner", cancellationToken))
        {
            var successor = await db.Members.Where(m => m.OrganizationId == organizationId && m.UserId != userId)
                .Where(m => db.Users.Any(u => u.Id == m.UserId && u.Role == UserRoles.PlatformAdmin && u.DisabledAt == null))
                .OrderBy(m => m.CreatedAt).ThenBy(m => m.Id)
                .FirstOrDefaultAsync(cancellationToken);
            if (successor is not null)
            {
                successor.Role = "owner";
                successor.UpdatedAt = now;
            }
        }
    }

    private Task<string?> OperatorOrganizationIdAsync(CancellationToken cancellationToken) =>
        db.Organizations.Where(o => o.OrgType == OrganizationTypes.NnoOperator && o.DeletedAt == null).Select(o => o.Id).FirstOrDefaultAsync(cancellationToken);

    private static Dictionary<string, object?> With(IamCaller caller, params (string Key, object? Value)[] values)
    {
        var metadata = new Dictionary<string, object?>(caller.Audit("x").Metadata);
        foreach (var (key, value) in values)
        {
            metadata[key] = value;
        }

        return metadata;
    }
}
