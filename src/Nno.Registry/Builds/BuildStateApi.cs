using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Pagination;
using Nno.Registry.Access;
using Nno.Registry.Data;
using Nno.Registry.Objects;
using Nno.Registry.Platforms;

namespace Nno.Registry.Builds;

/// <summary>
/// <c>GET /build-state</c> of registry.md §3.8 (op own adm mem): one row per environment, so at most three; the list
/// envelope without a next page.
/// </summary>
internal static class BuildStateApi
{
    public static IEndpointRouteBuilder MapBuildStateReads(this IEndpointRouteBuilder app)
    {
        app.MapGet(PlatformsApi.Path + "/{pid:pid}/build-state", ListAsync)
            .WithTags("Build state").WithName("ListBuildState").WithSummary("The shell build state of each environment (at most three).");
        return app;
    }

    private static async Task<Ok<Page<BuildStateView>>> ListAsync(string pid, HttpContext context, PlatformAccess access, RegistryDbContext db, CancellationToken cancellationToken)
    {
        await access.RequireAsync(context, pid, AccessNeed.Read, cancellationToken);
        var rows = await db.BuildState.AsNoTracking().Where(b => b.PlatformId == pid).OrderBy(b => b.Environment).ToListAsync(cancellationToken);
        return TypedResults.Ok(new Page<BuildStateView>([.. rows.Select(BuildStateView.From)], new PaginationInfo(false, null, rows.Count)));
    }
}
