using Microsoft.AspNetCore.Builder;

namespace Nno.ServiceDefaults.Security;

/// <summary>Marks an endpoint reachable without a service token (health, JWKS, the service-token endpoint).</summary>
public sealed class NoServiceTokenRequiredMetadata
{
    public static NoServiceTokenRequiredMetadata Instance { get; } = new();
}

/// <summary>
/// The per-route caller allowlist of 00-system §6: the services (by name; <c>gateway</c> means the gateway's own calls)
/// whose tokens may call the route. Routes marked <see cref="ServiceOnly"/> are internal: users get 404.
/// </summary>
public sealed record ServiceCallersMetadata(IReadOnlySet<string> Services, bool ServiceOnly);

/// <summary>Endpoint conventions for access rules.</summary>
public static class EndpointAccessExtensions
{
    /// <summary>The endpoint needs no service token at all.</summary>
    public static TBuilder AllowWithoutServiceToken<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(NoServiceTokenRequiredMetadata.Instance);

    /// <summary>Users (through the gateway) and the named services may call the endpoint.</summary>
    public static TBuilder AllowServices<TBuilder>(this TBuilder builder, params string[] services)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ServiceCallersMetadata(new HashSet<string>(services, StringComparer.Ordinal), ServiceOnly: false));

    /// <summary>Only the named services may call the endpoint; users get 404.</summary>
    public static TBuilder ServiceOnly<TBuilder>(this TBuilder builder, params string[] services)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ServiceCallersMetadata(new HashSet<string>(services, StringComparer.Ordinal), ServiceOnly: true));
}
