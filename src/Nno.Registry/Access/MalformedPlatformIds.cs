using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Nno.Core.Ids;
using Nno.Core.Services;
using Nno.Registry.Platforms;
using Nno.ServiceDefaults.Security;

namespace Nno.Registry.Access;

/// <summary>
/// A malformed platform id answers 404 <c>details.resource: "platform"</c>, the same body as a platform nobody may see
/// (registry.md §3.1), for every path under <c>/api/v1/platforms/{pid}</c>. The routes keep their <c>{pid:pid}</c>
/// constraint; a request whose second segment is not a platform id (nor a literal route such as <c>audit-log</c>) gets
/// this endpoint before routing runs, so the principal rule still applies first (401 without a token) and a wrong method
/// on a real route stays 405 (a catch-all route would turn those into 404s).
/// </summary>
internal static class MalformedPlatformIds
{
    /// <summary>Literal routes beside <c>{pid}</c>.</summary>
    private static readonly HashSet<string> Literals = new(StringComparer.Ordinal) { "audit-log" };

    private static readonly PathString Prefix = new(PlatformsApi.Path);

    public static readonly Endpoint Endpoint = new(
        _ => throw PlatformAccess.NotFound(),
        new EndpointMetadataCollection(new ServiceCallersMetadata(NnoServices.All.Select(s => s.Name).ToHashSet(StringComparer.Ordinal), ServiceOnly: false)),
        "MalformedPlatformId");

    /// <summary>True when the path is <c>/api/v1/platforms/{x}[/…]</c> and <c>x</c> is neither a platform id nor a literal route.</summary>
    public static bool Matches(PathString path)
    {
        if (!path.StartsWithSegments(Prefix, StringComparison.Ordinal, out var rest) || !rest.HasValue || rest.Value!.Length <= 1)
        {
            return false;
        }

        var value = rest.Value.AsSpan(1);
        var slash = value.IndexOf('/');
        var segment = (slash < 0 ? value : value[..slash]).ToString();
        return segment.Length > 0 && !IdFormat.IsPlatformId(segment) && !Literals.Contains(segment);
    }
}

/// <summary>Puts <see cref="MalformedPlatformIds.Endpoint"/> on matching requests ahead of routing (routing keeps an endpoint already set).</summary>
internal sealed class MalformedPlatformIdStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, nextMiddleware) =>
        {
            if (MalformedPlatformIds.Matches(context.Request.Path))
            {
                context.SetEndpoint(MalformedPlatformIds.Endpoint);
            }

            await nextMiddleware(context);
        });
        next(app);
    };
}
