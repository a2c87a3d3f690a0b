using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Core.Ids;
using Nno.Core.Pagination;
using Nno.Registry.Access;
using Nno.Registry.Data;
using Nno.Registry.Objects;
using Nno.Registry.Paging;
using Nno.Registry.Platforms;

namespace Nno.Registry.Stacks;

/// <summary>The stack reads of registry.md §3.6 (op own adm mem): the list (without <c>definition</c>) and one stack.</summary>
internal static class StacksReadApi
{
    public static IEndpointRouteBuilder MapStackReads(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(PlatformsApi.Path + "/{pid:pid}/stacks").WithTags("Stacks");
        group.MapGet("", ListAsync)
            .WithName("ListStacks").WithSummary("A platform's stacks, oldest first, without definitions; filters tenantId and status.");
        group.MapGet("/{sid}", GetAsync)
            .WithName("GetStack").WithSummary("One stack with its definition; sid may be 'default'.");
        return app;
    }

    private static async Task<Ok<Page<StackListItem>>> ListAsync(
        string pid, HttpContext context, PlatformAccess access, RegistryDbContext db, RegistryCursors cursors,
        [FromQuery] string? tenantId, [FromQuery] string? status, CancellationToken cancellationToken)
    {
        await access.RequireAsync(context, pid, AccessNeed.Read, cancellationToken);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        ObjectLists.Check(problems, "tenantId", tenantId, IdFormat.IsEntityId, "must be a 10-character entity id");
        ObjectLists.CheckEnum(problems, "status", status, StackStatuses.All);
        ObjectLists.ThrowIfAny(problems);

        var rows = db.Stacks.AsNoTracking().Where(s => s.PlatformId == pid);
        rows = tenantId is null ? rows : rows.Where(s => s.EntityId == tenantId);
        rows = status is null ? rows : rows.Where(s => s.Status == status);
        return TypedResults.Ok(await ObjectLists.PageAsync(context, cursors, "stacks", pid, [("tenantId", tenantId), ("status", status)],
            rows, s => s.CreatedAt, s => s.Id, StackListItem.From, cancellationToken));
    }

    private static async Task<Ok<StackView>> GetAsync(string pid, string sid, HttpContext context, PlatformAccess access, RegistryDbContext db, CancellationToken cancellationToken)
    {
        await access.RequireAsync(context, pid, AccessNeed.Read, cancellationToken);
        var stack = IdFormat.IsStackId(sid)
            ? await db.Stacks.AsNoTracking().FirstOrDefaultAsync(s => s.PlatformId == pid && s.Id == sid, cancellationToken)
            : null;
        return TypedResults.Ok(StackView.From(stack ?? throw ApiException.NotFound("stack")));
    }
}
