using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
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
using Nno.Iam.Mail;
using Nno.Iam.Organizations;
using Nno.Iam.Paging;
using Nno.Iam.Platforms;
using Nno.ServiceDefaults.Idempotency;

namespace Nno.Iam.Invitations;

/// <summary>An invitation; <c>status</c> reads <c>expired</c> once a pending invitation is past its expiry.</summary>
internal sealed record InvitationView(
    string Id, string PlatformId, string? OrganizationId, string Email, string Role, string Status, string InviterId,
    DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt, DateTimeOffset? RespondedAt)
{
    public static InvitationView From(InvitationRecord i, long now) => new(
        i.Id, i.PlatformId, i.OrganizationId, i.Email, i.Role, InvitationStatuses.AsOf(i, now), i.InviterId,
        DateTimeOffset.FromUnixTimeMilliseconds(i.ExpiresAt), DateTimeOffset.FromUnixTimeMilliseconds(i.CreatedAt),
        i.RespondedAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null);
}

/// <summary>One of the caller's pending invitations (<c>GET /api/nno/invitations/mine</c>).</summary>
internal sealed record MyInvitationItem(
    string Id, string PlatformId, string? OrganizationId, string? OrganizationName, string? InviterEmail, string Role, string Status,
    DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt);

/// <summary>The membership an accepted invitation gave (the tenant membership for a tenant invitation).</summary>
internal sealed record InvitationMembership(string PlatformId, string? OrganizationId, string UserId, string Role);

internal sealed record AcceptInvitationResponse(InvitationView Invitation, InvitationMembership Membership);

internal sealed record RejectInvitationResponse(InvitationView Invitation);

/// <summary>Body of <c>POST /api/nno/platforms/{platformId}/invitations</c>.</summary>
internal sealed record CreateInvitationRequest(string Email, string Role, string? OrganizationId = null, bool? Resend = null);

/// <summary>Invitations to a platform or to one of its tenants (iam.md §3.3, §4.11): the only way customers add people.</summary>
internal static class InvitationsApi
{
    public static IEndpointRouteBuilder MapInvitations(this IEndpointRouteBuilder app)
    {
        var platform = app.MapGroup("/api/nno/platforms/{platformId}/invitations").WithTags("Invitations");
        platform.MapPost("", CreateAsync)
            .WithName("CreateInvitation").WithSummary("Invite an email address to the platform or one of its tenants; the invitation link is emailed.").WithIdempotency();
        platform.MapGet("", ListAsync)
            .WithName("ListInvitations").WithSummary("The platform's invitations, by status and organization.");
        platform.MapDelete("/{id}", CancelAsync)
            .WithName("CancelInvitation").WithSummary("Cancel a pending invitation; its emailed link stops working.");

        var mine = app.MapGroup("/api/nno/invitations").WithTags("Invitations");
        mine.MapGet("/mine", MineAsync)
            .WithName("ListMyInvitations").WithSummary("The caller's pending invitations (platform and tenant).");
        mine.MapPost("/{id}/accept", AcceptAsync)
            .WithName("AcceptInvitation").WithSummary("Accept an invitation sent to the caller's verified email address.").WithIdempotency();
        mine.MapPost("/{id}/reject", RejectAsync)
            .WithName("RejectInvitation").WithSummary("Decline an invitation sent to the caller's email address.");
        return app;
    }

    private static async Task<Created<InvitationView>> CreateAsync(
        string platformId, CreateInvitationRequest body, IamCallers callers, IamDbContext db, OrganizationAccess access, InvitationLinks links,
        EmailOutbox outbox, AuditLog audit, TimeProvider time, IOptions<InvitationOptions> options, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        PlatformAccess.RequirePlatformId(platformId);
        var email = EmailAddress.Parse(body.Email);
        var role = MemberRoles.Require(body.Role);
        var platformRole = caller.RequireVisible(platformId, "platform");

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        OrganizationRecord? organization = null;
        if (body.OrganizationId is { } organizationId)
        {
            var context = await access.LoadAsync(caller, organizationId, cancellationToken);
            if (context.Organization.PlatformId != platformId)
            {
                throw ApiException.NotFound("organization");
            }

            // Platform managers invite to every tenant; tenant owners and admins to their own (admins never as owner).
            context.Require(MemberRoles.Owner, MemberRoles.Admin);
            if (!context.ManagesPlatform && context.TenantRole == MemberRoles.Admin && role == MemberRoles.Owner)
            {
                throw PlatformAccess.Forbidden("Tenant admins cannot invite owners.");
            }

            organization = context.Organization;
        }
        else if (platformRole is not null && !MemberRoles.IsOwnerOrAdmin(platformRole))
        {
            throw PlatformAccess.Forbidden("This needs the owner or admin role on the platform.");
        }
        else if (platformRole == MemberRoles.Admin && role == MemberRoles.Owner)
        {
            throw PlatformAccess.Forbidden("Platform admins cannot invite owners.");
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var orgId = organization?.Id;
        var invitee = await db.Users.Where(u => u.EmailNormalized == email.Normalized).Select(u => u.Id).FirstOrDefaultAsync(cancellationToken);
        if (invitee is not null && (orgId is null
                ? await db.PlatformMembers.AnyAsync(m => m.PlatformId == platformId && m.UserId == invitee, cancellationToken)
                : await db.Members.AnyAsync(m => m.OrganizationId == orgId && m.UserId == invitee, cancellationToken)))
        {
            throw new ApiException(ErrorCodes.Conflict, "This address already belongs to a member.", new { reason = "already_member" });
        }

        var lifetime = (long)TimeSpan.FromDays(options.Value.LifetimeDays).TotalMilliseconds;
        var invitation = await db.Invitations.FirstOrDefaultAsync(
            i => i.PlatformId == platformId && i.OrganizationId == orgId && i.EmailNormalized == email.Normalized && i.Status == InvitationStatuses.Pending, cancellationToken);
        if (invitation is not null && invitation.ExpiresAt <= now)
        {
            // Expired at read time: mark it so (which frees the pending-unique index) and invite afresh.
            invitation.Status = InvitationStatuses.Expired;
            await links.RetireAsync(invitation.Id, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            invitation = null;
        }

        var resend = invitation is not null;
        if (resend && body.Resend != true)
        {
            throw new ApiException(ErrorCodes.Conflict, "A pending invitation for this address exists; send it again with resend: true.", new { reason = "already_pending", id = invitation!.Id });
        }

        if (invitation is null)
        {
            await RequireUnderDailyLimitAsync(db, platformId, now, options.Value.MaxPerPlatformPerDay, cancellationToken);
            invitation = new InvitationRecord
            {
                Id = IamIds.New("inv"),
                PlatformId = platformId,
                OrganizationId = orgId,
                Email = email.Value,
                EmailNormalized = email.Normalized,
                Role = role,
                Status = InvitationStatuses.Pending,
                InviterId = caller.ActorId(),
                CreatedAt = now,
            };
            db.Invitations.Add(invitation);
        }
        else
        {
            // A re-send replaces the old link: only the newest email works.
            await links.RetireAsync(invitation.Id, cancellationToken);
            invitation.Role = role;
            invitation.InviterId = caller.ActorId();
        }

        invitation.ExpiresAt = now + lifetime;
        var link = links.Create(invitation);
        var inviterEmail = caller.UserId is { } inviterId
            ? await db.Users.Where(u => u.Id == inviterId).Select(u => u.Email).FirstOrDefaultAsync(cancellationToken) ?? "NNO"
            : "NNO";
        var target = organization?.Name ?? "a platform (" + platformId + ")";
        outbox.Add(email.Value, EmailTemplates.Invitation(link, inviterEmail, target, role));
        audit.Add(caller.Audit(AuditEventTypes.InvitationCreated) with
        {
            PlatformId = platformId,
            OrganizationId = orgId,
            SubjectUserId = invitee,
            Metadata = caller.Meta(("invitationId", invitation.Id), ("role", role), ("resend", resend)),
        });
        await OrganizationsApi.SaveUniqueAsync(db, "A pending invitation for this address was created at the same time.", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/nno/platforms/{platformId}/invitations/{invitation.Id}", InvitationView.From(invitation, now));
    }

    private static async Task<Ok<Page<InvitationView>>> ListAsync(
        string platformId, HttpContext context, IamCallers callers, IamDbContext db, OrganizationAccess access, IamCursors cursors, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        PlatformAccess.RequirePlatformId(platformId);
        var query = context.Request.Query;
        var status = query["status"].LastOrDefault();
        var organizationId = query["organizationId"].LastOrDefault();
        if (status is not null && !InvitationStatuses.IsValid(status))
        {
            throw ApiException.Validation("status", "must be one of pending, accepted, rejected, canceled, expired");
        }

        var request = IamCursors.Request(context.Request);
        var platformRole = caller.RequireVisible(platformId, "platform");
        if (organizationId is not null)
        {
            var organization = await access.LoadAsync(caller, organizationId, cancellationToken);
            if (organization.Organization.PlatformId != platformId)
            {
                throw ApiException.NotFound("organization");
            }

            organization.Require(MemberRoles.Owner, MemberRoles.Admin);
        }
        else if (platformRole is not null && !MemberRoles.IsOwnerOrAdmin(platformRole))
        {
            throw PlatformAccess.Forbidden("This needs the owner or admin role on the platform (tenant admins list with organizationId).");
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var invitations = db.Invitations.AsNoTracking().Where(i => i.PlatformId == platformId);
        if (organizationId is not null)
        {
            invitations = invitations.Where(i => i.OrganizationId == organizationId);
        }

        invitations = status switch
        {
            null => invitations,
            InvitationStatuses.Pending => invitations.Where(i => i.Status == InvitationStatuses.Pending && i.ExpiresAt > now),
            InvitationStatuses.Expired => invitations.Where(i => i.Status == InvitationStatuses.Expired || (i.Status == InvitationStatuses.Pending && i.ExpiresAt <= now)),
            _ => invitations.Where(i => i.Status == status),
        };

        var pager = cursors.For("invitations", ("platformId", platformId), ("status", status), ("organizationId", organizationId));
        var page = invitations;
        if (pager.After(request) is { } after)
        {
            var (at, id) = (after.Expect(2).GetInt64(0), after.GetString(1));
            page = page.Where(i => i.CreatedAt > at || (i.CreatedAt == at && string.Compare(i.Id, id) > 0));
        }

        var fetched = await page.OrderBy(i => i.CreatedAt).ThenBy(i => i.Id).Take(request.FetchCount).ToListAsync(cancellationToken);
        int? total = request.IncludeTotal ? await invitations.CountAsync(cancellationToken) : null;
        return TypedResults.Ok(pager.ToPage(fetched, request, i => CursorPosition.Of(i.CreatedAt, i.Id), i => InvitationView.From(i, now), total));
    }

    private static async Task<NoContent> CancelAsync(
        string platformId, string id, IamCallers callers, IamDbContext db, OrganizationAccess access, InvitationLinks links, AuditLog audit,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireAuthenticatedAsync(cancellationToken);
        PlatformAccess.RequirePlatformId(platformId);
        var platformRole = caller.RequireVisible(platformId, "invitation");
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var invitation = await db.Invitations.FirstOrDefaultAsync(i => i.Id == id && i.PlatformId == platformId, cancellationToken)
            ?? throw ApiException.NotFound("invitation");
        if (platformRole is not null && !MemberRoles.IsOwnerOrAdmin(platformRole))
        {
            if (invitation.OrganizationId is null)
            {
                throw PlatformAccess.Forbidden("This needs the owner or admin role on the platform.");
            }

            (await access.LoadAsync(caller, invitation.OrganizationId, cancellationToken, resource: "invitation")).Require(MemberRoles.Owner, MemberRoles.Admin);
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (InvitationStatuses.AsOf(invitation, now) != InvitationStatuses.Pending)
        {
            throw new ApiException(ErrorCodes.Conflict, "Only a pending invitation can be canceled.", new { status = InvitationStatuses.AsOf(invitation, now) });
        }

        invitation.Status = InvitationStatuses.Canceled;
        invitation.RespondedAt = now;
        await links.RetireAsync(invitation.Id, cancellationToken);
        audit.Add(caller.Audit(AuditEventTypes.InvitationCanceled) with
        {
            PlatformId = platformId, OrganizationId = invitation.OrganizationId, Metadata = caller.Meta(("invitationId", invitation.Id)),
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<Page<MyInvitationItem>>> MineAsync(
        HttpContext context, IamCallers callers, IamDbContext db, IamCursors cursors, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        var request = IamCursors.Request(context.Request);
        var userId = caller.UserId!;
        var email = await db.Users.Where(u => u.Id == userId).Select(u => u.EmailNormalized).FirstAsync(cancellationToken);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var invitations = db.Invitations.AsNoTracking().Where(i => i.EmailNormalized == email && i.Status == InvitationStatuses.Pending && i.ExpiresAt > now);
        var pager = cursors.For("my-invitations", ("userId", userId));
        var page = invitations;
        if (pager.After(request) is { } after)
        {
            var (at, id) = (after.Expect(2).GetInt64(0), after.GetString(1));
            page = page.Where(i => i.CreatedAt > at || (i.CreatedAt == at && string.Compare(i.Id, id) > 0));
        }

        var fetched = await page.OrderBy(i => i.CreatedAt).ThenBy(i => i.Id)
            .Select(i => new
            {
                Invitation = i,
                OrganizationName = db.Organizations.Where(o => o.Id == i.OrganizationId).Select(o => o.Name).FirstOrDefault(),
                InviterEmail = db.Users.Where(u => u.Id == i.InviterId).Select(u => u.Email).FirstOrDefault(),
            })
            .Take(request.FetchCount).ToListAsync(cancellationToken);
        int? total = request.IncludeTotal ? await invitations.CountAsync(cancellationToken) : null;
        return TypedResults.Ok(pager.ToPage(fetched, request, r => CursorPosition.Of(r.Invitation.CreatedAt, r.Invitation.Id), r => new MyInvitationItem(
            r.Invitation.Id, r.Invitation.PlatformId, r.Invitation.OrganizationId, r.OrganizationName, r.InviterEmail, r.Invitation.Role,
            InvitationStatuses.AsOf(r.Invitation, now), DateTimeOffset.FromUnixTimeMilliseconds(r.Invitation.ExpiresAt),
            DateTimeOffset.FromUnixTimeMilliseconds(r.Invitation.CreatedAt)), total));
    }

    private static async Task<Ok<AcceptInvitationResponse>> AcceptAsync(
        string id, IamCallers callers, IamDbContext db, PlatformMemberships memberships, InvitationLinks links, AuditLog audit, IamEvictions evictions,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        var userId = caller.UserId!;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var (invitation, user) = await LoadOwnAsync(db, id, userId, cancellationToken);
        if (!user.EmailVerified)
        {
            throw new ApiException(ErrorCodes.Forbidden, "Verify your email address first (use the invitation link or send a verification email).", new { reason = "email_not_verified" });
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        // The conditional update decides between concurrent accepts (and a concurrent cancel): exactly one wins.
        var won = await db.Invitations.Where(i => i.Id == id && i.Status == InvitationStatuses.Pending && i.ExpiresAt > now)
            .ExecuteUpdateAsync(u => u.SetProperty(i => i.Status, InvitationStatuses.Accepted).SetProperty(i => i.RespondedAt, now), cancellationToken);
        if (won == 0)
        {
            throw NotPending(invitation, now);
        }

        invitation.Status = InvitationStatuses.Accepted;
        invitation.RespondedAt = now;
        var actor = caller.ActorId();
        var platformRole = invitation.OrganizationId is null ? invitation.Role : MemberRoles.Member;
        var (platformMember, added) = await memberships.EnsureAsync(invitation.PlatformId, userId, platformRole, actor, cancellationToken);
        if (added)
        {
            audit.Add(caller.Audit(AuditEventTypes.PlatformMemberAdded) with
            {
                SubjectUserId = userId, PlatformId = invitation.PlatformId, Metadata = caller.Meta(("role", platformRole), ("invitationId", invitation.Id)),
            });
        }
        else if (invitation.OrganizationId is null && MemberRoles.Rank(invitation.Role) > MemberRoles.Rank(platformMember.Role))
        {
            audit.Add(caller.Audit(AuditEventTypes.PlatformMemberRoleChanged) with
            {
                SubjectUserId = userId, PlatformId = invitation.PlatformId, Metadata = caller.Meta(("from", platformMember.Role), ("to", invitation.Role), ("invitationId", invitation.Id)),
            });
            platformMember.Role = invitation.Role;
            platformMember.UpdatedAt = now;
        }

        var membership = new InvitationMembership(invitation.PlatformId, null, userId, platformMember.Role);
        if (invitation.OrganizationId is { } organizationId)
        {
            if (!await db.Organizations.AnyAsync(o => o.Id == organizationId && o.DeletedAt == null, cancellationToken))
            {
                throw new ApiException(ErrorCodes.Conflict, "The organization of this invitation no longer exists.", new { reason = "organization_deleted" });
            }

            var member = await db.Members.FirstOrDefaultAsync(m => m.OrganizationId == organizationId && m.UserId == userId, cancellationToken);
            if (member is null)
            {
                member = new MemberRecord { Id = IamIds.New("mem"), OrganizationId = organizationId, UserId = userId, Role = invitation.Role, CreatedAt = now, UpdatedAt = now };
                db.Members.Add(member);
                audit.Add(caller.Audit(AuditEventTypes.MemberAdded) with
                {
                    SubjectUserId = userId, PlatformId = invitation.PlatformId, OrganizationId = organizationId, Metadata = caller.Meta(("role", member.Role), ("invitationId", invitation.Id)),
                });
            }
            else if (MemberRoles.Rank(invitation.Role) > MemberRoles.Rank(member.Role))
            {
                audit.Add(caller.Audit(AuditEventTypes.MemberRoleChanged) with
                {
                    SubjectUserId = userId, PlatformId = invitation.PlatformId, OrganizationId = organizationId, Metadata = caller.Meta(("from", member.Role), ("to", invitation.Role), ("invitationId", invitation.Id)),
                });
                member.Role = invitation.Role;
                member.UpdatedAt = now;
            }

            membership = new InvitationMembership(invitation.PlatformId, organizationId, userId, member.Role);
        }

        await links.RetireAsync(invitation.Id, cancellationToken);
        audit.Add(caller.Audit(AuditEventTypes.InvitationAccepted) with
        {
            SubjectUserId = userId, PlatformId = invitation.PlatformId, OrganizationId = invitation.OrganizationId, Metadata = caller.Meta(("invitationId", invitation.Id), ("role", invitation.Role)),
        });
        await OrganizationsApi.SaveUniqueAsync(db, "The membership was created at the same time; retry.", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        evictions.User(userId);
        return TypedResults.Ok(new AcceptInvitationResponse(InvitationView.From(invitation, now), membership));
    }

    private static async Task<Ok<RejectInvitationResponse>> RejectAsync(
        string id, IamCallers callers, IamDbContext db, InvitationLinks links, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        var userId = caller.UserId!;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var (invitation, _) = await LoadOwnAsync(db, id, userId, cancellationToken);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var won = await db.Invitations.Where(i => i.Id == id && i.Status == InvitationStatuses.Pending && i.ExpiresAt > now)
            .ExecuteUpdateAsync(u => u.SetProperty(i => i.Status, InvitationStatuses.Rejected).SetProperty(i => i.RespondedAt, now), cancellationToken);
        if (won == 0)
        {
            throw NotPending(invitation, now);
        }

        invitation.Status = InvitationStatuses.Rejected;
        invitation.RespondedAt = now;
        await links.RetireAsync(invitation.Id, cancellationToken);
        audit.Add(caller.Audit(AuditEventTypes.InvitationRejected) with
        {
            SubjectUserId = userId, PlatformId = invitation.PlatformId, OrganizationId = invitation.OrganizationId, Metadata = caller.Meta(("invitationId", invitation.Id)),
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(new RejectInvitationResponse(InvitationView.From(invitation, now)));
    }

    /// <summary>The invitation when it was sent to the caller's address; 404 otherwise (others' invitations do not exist for them).</summary>
    private static async Task<(InvitationRecord Invitation, Users.UserRecord User)> LoadOwnAsync(IamDbContext db, string id, string userId, CancellationToken cancellationToken)
    {
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == userId, cancellationToken);
        var invitation = await db.Invitations.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id, cancellationToken);
        return invitation is null || invitation.EmailNormalized != user.EmailNormalized ? throw ApiException.NotFound("invitation") : (invitation, user);
    }

    private static ApiException NotPending(InvitationRecord invitation, long now) =>
        new(ErrorCodes.Conflict, "The invitation is no longer pending.", new { status = InvitationStatuses.AsOf(invitation, now) });

    /// <summary>iam.md §6 invitation spam: at most N new invitations per platform in any 24 hours; 429 with <c>Retry-After</c> beyond.</summary>
    private static async Task RequireUnderDailyLimitAsync(IamDbContext db, string platformId, long now, int limit, CancellationToken cancellationToken)
    {
        var since = now - (long)TimeSpan.FromDays(1).TotalMilliseconds;
        var recent = db.Invitations.Where(i => i.PlatformId == platformId && i.CreatedAt > since);
        if (await recent.CountAsync(cancellationToken) < limit)
        {
            return;
        }

        var oldest = await recent.OrderBy(i => i.CreatedAt).Select(i => i.CreatedAt).FirstAsync(cancellationToken);
        var seconds = Math.Max(1, (int)Math.Ceiling((oldest + (long)TimeSpan.FromDays(1).TotalMilliseconds - now) / 1000.0));
        var limited = new ApiException(ErrorCodes.RateLimited, $"At most {limit} invitations per platform per day.", new { retryAfterSeconds = seconds });
        limited.Headers["Retry-After"] = seconds.ToString(CultureInfo.InvariantCulture);
        throw limited;
    }
}
