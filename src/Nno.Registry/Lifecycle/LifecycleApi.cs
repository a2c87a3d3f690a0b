using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Core.Pagination;
using Nno.Registry.Access;
using Nno.Registry.Data;
using Nno.Registry.Fields;
using Nno.Registry.Paging;
using Nno.Registry.Platforms;

namespace Nno.Registry.Lifecycle;

/// <summary>A lifecycle event as the API shows it.</summary>
internal sealed record LifecycleEventView(
    string Id, string PlatformId, string Event, string? FromStatus, string ToStatus, string? Reason, string ActorType, string? ActorId, string? RequestId,
    DateTimeOffset CreatedAt)
{
    public static LifecycleEventView From(LifecycleEventRecord e) =>
        new(e.Id, e.PlatformId, e.Event, e.FromStatus, e.ToStatus, e.Reason, e.ActorType, e.ActorId, e.RequestId, DateTimeOffset.FromUnixTimeMilliseconds(e.CreatedAt));
}

/// <summary>The lifecycle routes of registry.md §3.4: suspend, restore, cancel, resume, delete and the event history.</summary>
internal static class LifecycleApi
{
    public static IEndpointRouteBuilder MapLifecycle(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(PlatformsApi.Path + "/{pid:pid}").WithTags("Lifecycle");
        Transition(group, LifecycleActions.Suspend, AccessNeed.Operator, reasonRequired: true, "SuspendPlatform", "Suspend an active platform (operators).");
        Transition(group, LifecycleActions.Restore, AccessNeed.Operator, reasonRequired: false, "RestorePlatform", "Restore a suspended platform (operators).");
        Transition(group, LifecycleActions.Cancel, AccessNeed.Owner, reasonRequired: true, "CancelPlatform", "Cancel: at period end when active, at once when suspended (owner, operators).");
        Transition(group, LifecycleActions.Resume, AccessNeed.Owner, reasonRequired: false, "ResumePlatform", "Undo a pending cancellation before it takes effect (owner, operators).");
        Transition(group, LifecycleActions.Delete, AccessNeed.Owner, reasonRequired: true, "DeletePlatform", "Soft-delete a cancelled or cancelling platform (owner, operators).");
        group.MapGet("/lifecycle-events", ListEventsAsync)
            .WithName("ListLifecycleEvents").WithSummary("The platform's lifecycle events, newest first (owners, admins, operators).");
        return app;
    }

    private static void Transition(RouteGroupBuilder group, string action, AccessNeed need, bool reasonRequired, string name, string summary) =>
        group.MapPost("/" + action, async Task<Ok<PlatformView>> (string pid, LifecycleRequest? body, HttpContext context, PlatformAccess access, PlatformLifecycle lifecycle, CancellationToken cancellationToken) =>
            {
                var reason = body?.Reason;
                if ((reasonRequired || reason is not null) && FieldRules.ReasonProblem(reason) is { } problem)
                {
                    throw ApiException.Validation("reason", problem);
                }

                var grant = await access.RequireAsync(context, pid, need, cancellationToken);
                var platform = await lifecycle.ApplyAsync(grant, action, reason is null ? null : FieldRules.Clean(reason), cancellationToken);
                access.Forget(pid);
                context.Response.Headers.ETag = PlatformView.ETagOf(platform);
                return TypedResults.Ok(PlatformView.From(platform));
            })
            .WithName(name).WithSummary(summary);

    private static async Task<Ok<Page<LifecycleEventView>>> ListEventsAsync(
        string pid, HttpContext context, PlatformAccess access, RegistryDbContext db, RegistryCursors cursors, CancellationToken cancellationToken)
    {
        await access.RequireAsync(context, pid, AccessNeed.ManageRead, cancellationToken);
        var page = RegistryCursors.Request(context.Request);
        var pager = cursors.Pager("lifecycle-events", ("platformId", pid));
        var events = db.LifecycleEvents.AsNoTracking().Where(e => e.PlatformId == pid);
        int? total = page.IncludeTotal ? await events.CountAsync(cancellationToken) : null;
        if (pager.After(page) is { } after)
        {
            var (createdAt, id) = (after.Expect(2).GetInt64(0), after.GetString(1));
            events = events.Where(e => e.CreatedAt < createdAt || (e.CreatedAt == createdAt && string.Compare(e.Id, id) < 0));
        }

        var rows = await events.OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id).Take(page.FetchCount).ToListAsync(cancellationToken);
        return TypedResults.Ok(pager.ToPage(rows, page, e => CursorPosition.Of(e.CreatedAt, e.Id), LifecycleEventView.From, total));
    }
}
