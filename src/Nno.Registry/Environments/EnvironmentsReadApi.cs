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

namespace Nno.Registry.Environments;

/// <summary><c>GET /{pid}/environments</c> of registry.md §3.4 (op own adm mem): at most three rows, in dev, stg, prod order.</summary>
internal static class EnvironmentsReadApi
{
    public static IEndpointRouteBuilder MapEnvironmentReads(this IEndpointRouteBuilder app)
    {
        app.MapGet(PlatformsApi.Path + "/{pid:pid}/environments", ListAsync)
            .WithTags("Environments").WithName("ListEnvironments").WithSummary("A platform's environments and whether each is provisioned.");
        return app;
    }

    private static async Task<Ok<Page<EnvironmentView>>> ListAsync(string pid, HttpContext context, PlatformAccess access, RegistryDbContext db, CancellationToken cancellationToken)
    {
        await access.RequireAsync(context, pid, AccessNeed.Read, cancellationToken);
        var rows = await db.Environments.AsNoTracking().Where(e => e.PlatformId == pid).ToListAsync(cancellationToken);
        var ordered = rows.OrderBy(e => PlatformEnvironments.All.ToList().IndexOf(e.Environment)).Select(EnvironmentView.From).ToList();
        return TypedResults.Ok(new Page<EnvironmentView>(ordered, new PaginationInfo(false, null, ordered.Count)));
    }
}
