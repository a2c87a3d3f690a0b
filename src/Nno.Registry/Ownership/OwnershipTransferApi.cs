using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Registry.Access;
using Nno.Registry.Data;
using Nno.Registry.Fields;
using Nno.Registry.Lifecycle;
using Nno.Registry.Outbox;
using Nno.Registry.Platforms;

namespace Nno.Registry.Ownership;

/// <summary>Body of <c>POST /{pid}/ownership-transfer</c>.</summary>
internal sealed record StartTransferRequest
{
    public string? ToUserId { get; init; }
}

/// <summary>
/// Ownership transfer (registry.md §3.4): the owner names a current member; that member accepts within 7 days; then
/// <c>owner_user_id</c> changes and IAM makes the new owner <c>owner</c> before demoting the previous one to
/// <c>admin</c> (outbox <c>iam.transfer_owner</c>). Ownership never grants access by itself (§3.1, §6).
/// </summary>
internal static class OwnershipTransferApi
{
    public static readonly TimeSpan Validity = TimeSpan.FromDays(7);

    public static IEndpointRouteBuilder MapOwnershipTransfer(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(PlatformsApi.Path + "/{pid:pid}/ownership-transfer").WithTags("Ownership");
        group.MapPost("", StartAsync)
            .WithName("StartOwnershipTransfer").WithSummary("Offer the platform's ownership to a current member (owner).");
        group.MapPost("/accept", AcceptAsync)
            .WithName("AcceptOwnershipTransfer").WithSummary("Accept a pending ownership transfer (the named user).");
        group.MapDelete("", CancelAsync)
            .WithName("CancelOwnershipTransfer").WithSummary("Withdraw a pending ownership transfer (owner, operators).");
        return app;
    }

    private static async Task<Ok<PlatformView>> StartAsync(
        string pid, StartTransferRequest body, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, IamMemberships iam, CancellationToken cancellationToken)
    {
        if (FieldRules.UserIdProblem(body.ToUserId) is { } problem)
        {
            throw ApiException.Validation("toUserId", problem);
        }

        var grant = await access.RequireAsync(context, pid, AccessNeed.Owner, cancellationToken);
        var caller = grant.Caller;
        if (grant.Level != AccessLevel.Owner)
        {
            throw new ApiException(ErrorCodes.Forbidden, "Only the platform's owner offers its ownership; operators set ownerUserId with PATCH.");
        }

        var to = body.ToUserId!;
        if (to == caller.UserId)
        {
            throw ApiException.Validation("toUserId", "must be someone else");
        }

        // The IAM call happens before the transaction: no network inside it (§4.2).
        if (await iam.RoleOnAsync(to, pid, caller.RequestId, cancellationToken) is null)
        {
            throw ApiException.NotFound("member", "The user is not a member of this platform.");
        }

        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var platform = await db.Platforms.FirstAsync(p => p.Id == pid, cancellationToken);
        if (platform.PendingOwnerUserId is not null && platform.TransferExpiresAt > uow.Now)
        {
            throw new ApiException(ErrorCodes.Conflict, "An ownership transfer is already pending; withdraw it first.", new { pendingOwnerUserId = platform.PendingOwnerUserId });
        }

        platform.PendingOwnerUserId = to;
        platform.TransferExpiresAt = uow.Now + (long)Validity.TotalMilliseconds;
        platform.Version++;
        platform.UpdatedAt = uow.Now;
        uow.AddAudit(caller, "platform.ownership_transfer_started", pid, "platform", pid, new { toUserId = to, expiresAt = platform.TransferExpiresAt });
        uow.AddOutbox(OutboxKinds.IamNotify, pid, to, new
        {
            platformId = pid,
            kind = "ownership_transfer",
            audience = "user",
            userId = to,
            data = new Dictionary<string, object> { ["platformName"] = platform.Name, ["fromUserId"] = caller.ActorId },
            dedupeKey = $"ownership:{pid}:{platform.Version}",
        });
        await uow.CommitAsync(cancellationToken);
        access.Forget(pid);
        context.Response.Headers.ETag = PlatformView.ETagOf(platform);
        return TypedResults.Ok(PlatformView.From(platform));
    }

    private static async Task<Ok<PlatformView>> AcceptAsync(
        string pid, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, CancellationToken cancellationToken)
    {
        // Any role on P: the named user is a member (owners transfer only to members).
        var grant = await access.RequireAsync(context, pid, new AccessNeed(AccessLevel.Member, Write: true), cancellationToken);
        var caller = grant.Caller;
        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var platform = await db.Platforms.FirstAsync(p => p.Id == pid, cancellationToken);
        if (caller.UserId is null || platform.PendingOwnerUserId != caller.UserId)
        {
            throw ApiException.NotFound("ownership_transfer", "There is no ownership transfer for you on this platform.");
        }

        if (platform.TransferExpiresAt is not { } expires || expires <= uow.Now)
        {
            throw new ApiException(ErrorCodes.Conflict, "The ownership transfer has expired.", new { expiredAt = DateTimeOffset.FromUnixTimeMilliseconds(platform.TransferExpiresAt ?? 0) });
        }

        var newOwner = caller.UserId;
        await PlatformsApi.RequireOwnerCapacityAsync(db, newOwner, platform.Tier, cancellationToken);
        var previousOwner = platform.OwnerUserId;
        platform.OwnerUserId = newOwner;
        platform.PendingOwnerUserId = null;
        platform.TransferExpiresAt = null;
        platform.Version++;
        platform.UpdatedAt = uow.Now;
        uow.AddLifecycleEvent(pid, LifecycleEvents.OwnerChanged, platform.Status, platform.Status, null, caller.ActorType, caller.ActorId, caller.RequestId);
        uow.AddAudit(caller, "platform.ownership_transferred", pid, "platform", pid, new { changes = new { ownerUserId = new[] { previousOwner, newOwner } } });
        uow.AddOutbox(OutboxKinds.IamTransferOwner, pid, newOwner, new { platformId = pid, newOwnerUserId = newOwner, previousOwnerUserId = previousOwner });
        await uow.CommitAsync(cancellationToken);
        access.Forget(pid);
        context.Response.Headers.ETag = PlatformView.ETagOf(platform);
        return TypedResults.Ok(PlatformView.From(platform));
    }

    private static async Task<NoContent> CancelAsync(
        string pid, HttpContext context, PlatformAccess access, RegistryUnitOfWork uow, CancellationToken cancellationToken)
    {
        var grant = await access.RequireAsync(context, pid, AccessNeed.Owner, cancellationToken);
        var db = uow.Db;
        await uow.BeginAsync(cancellationToken);
        var platform = await db.Platforms.FirstAsync(p => p.Id == pid, cancellationToken);
        if (platform.PendingOwnerUserId is null)
        {
            throw ApiException.NotFound("ownership_transfer", "No ownership transfer is pending.");
        }

        uow.AddAudit(grant.Caller, "platform.ownership_transfer_cancelled", pid, "platform", pid, new { toUserId = platform.PendingOwnerUserId });
        platform.PendingOwnerUserId = null;
        platform.TransferExpiresAt = null;
        platform.Version++;
        platform.UpdatedAt = uow.Now;
        await uow.CommitAsync(cancellationToken);
        access.Forget(pid);
        return TypedResults.NoContent();
    }
}
