using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Nno.Sandbox.Cloudflare.Common;

namespace Nno.Sandbox.Cloudflare.Pipeline;

/// <summary>
/// Endpoint metadata that changes how the pipeline treats a route. Without it a route under <c>/cloudflare/</c> is a
/// REST route: bearer auth, counted by the rate limit, errors as the JSON envelope.
/// </summary>
public sealed record CloudflareSurface
{
    /// <summary>Whether the per-token REST rate limit counts the route (false for the S3-compatible surface).</summary>
    public bool RateLimited { get; init; } = true;

    /// <summary>Whether the pipeline checks <c>Authorization: Bearer</c> (false when the route authenticates itself, e.g. SigV4).</summary>
    public bool BearerAuth { get; init; } = true;

    /// <summary>Writes pipeline errors (faults, auth) in the surface's own format; the envelope when null.</summary>
    public Func<HttpContext, CloudflareException, Task>? ErrorWriter { get; init; }
}

/// <summary>Marks routes with a <see cref="CloudflareSurface"/>.</summary>
public static class CloudflareSurfaceExtensions
{
    /// <summary>Applies <paramref name="surface"/> to the route or group.</summary>
    public static TBuilder WithCloudflareSurface<TBuilder>(this TBuilder builder, CloudflareSurface surface)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithMetadata(surface);
    }
}
