using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Nno.Sandbox.Cloudflare;

/// <summary>
/// One area of the Cloudflare emulator (D1, Workers, KV, …): its tables, what <c>GET /_admin/state</c> counts, its
/// services and its routes. Every area is listed once in <see cref="CloudflareAreas.All"/>; see README-extending.md.
/// </summary>
public sealed record CloudflareArea
{
    /// <summary>Short name (the area's folder).</summary>
    public required string Name { get; init; }

    /// <summary>
    /// DDL of the area's tables in the metadata database: idempotent (<c>CREATE TABLE IF NOT EXISTS</c>, <c>CREATE INDEX IF
    /// NOT EXISTS</c>), run at start and after <c>POST /_admin/reset</c> (which drops every table).
    /// </summary>
    public string Schema { get; init; } = "";

    /// <summary>Resource kinds the admin state lists: a kind name and a query selecting one name per resource.</summary>
    public IReadOnlyList<CloudflareStateKind> State { get; init; } = [];

    /// <summary>Services the area needs (for example an <see cref="Common.ICloudflareBindingTarget"/>).</summary>
    public Action<IServiceCollection>? AddServices { get; init; }

    /// <summary>Maps the area's routes on the groups.</summary>
    public required Action<CloudflareRouteGroups> Map { get; init; }
}

/// <summary>A resource kind of <c>GET /_admin/state</c>: <paramref name="NamesSql"/> selects one text column.</summary>
public sealed record CloudflareStateKind(string Kind, string NamesSql);

/// <summary>
/// Where areas map routes. <see cref="Api"/> is <c>/cloudflare/client/v4</c>; <see cref="Account"/> is
/// <c>/cloudflare/client/v4/accounts/{accountId}</c> and <see cref="Zone"/> <c>/cloudflare/client/v4/zones/{zoneId}</c>,
/// both of which already answer 404 code 7003 for another account or zone. <see cref="Root"/> is the application, for
/// surfaces outside the REST base path (R2's S3-compatible API under <c>/cloudflare/r2-s3/{accountId}</c>).
/// </summary>
public sealed record CloudflareRouteGroups(IEndpointRouteBuilder Root, RouteGroupBuilder Api, RouteGroupBuilder Account, RouteGroupBuilder Zone);
