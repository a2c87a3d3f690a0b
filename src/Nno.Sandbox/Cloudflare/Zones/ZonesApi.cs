using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Nno.Sandbox.Cloudflare.Common;

namespace Nno.Sandbox.Cloudflare.Zones;

/// <summary>The account a zone belongs to.</summary>
public sealed record ZoneAccount(string Id, string Name);

/// <summary>A zone as <c>GET /zones</c> shows it.</summary>
public sealed record Zone(
    string Id, string Name, string Status, bool Paused, string Type, ZoneAccount Account, IReadOnlyList<string> NameServers,
    string CreatedOn, string ModifiedOn, string ActivatedOn);

/// <summary><c>GET /zones?name=</c> and <c>GET /zones/{z}</c>: the one configured zone (<c>nno.run</c>).</summary>
internal static class ZonesApi
{
    private const string Epoch = "2026-01-01T00:00:00.000000Z";

    public static CloudflareArea Area { get; } = new()
    {
        Name = "Zones",
        State = [new CloudflareStateKind("zones", "SELECT 'configured zone'")],
        Map = groups =>
        {
            groups.Api.MapGet("/zones", List)
                .WithName("CloudflareListZones").WithSummary("Lists zones, optionally by exact name.").WithTags("Cloudflare zones");
            groups.Zone.MapGet("/", Get)
                .WithName("CloudflareGetZone").WithSummary("The zone.").WithTags("Cloudflare zones");
        },
    };

    private static Zone Describe(CloudflareState state) => new(
        state.ZoneId, state.ZoneName, "active", false, "full", new ZoneAccount(state.AccountId, "NNO sandbox account"),
        ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"], Epoch, Epoch, Epoch);

    private static CloudflareEnvelopeResult List(HttpRequest request, CloudflareState state)
    {
        var paging = CloudflarePaging.Read(request, defaultPerPage: 20, maxPerPage: 50, minPerPage: 5);
        var name = request.Query["name"].ToString();
        var status = request.Query["status"].ToString();
        var matches = (string.IsNullOrEmpty(name) || string.Equals(name, state.ZoneName, StringComparison.OrdinalIgnoreCase))
            && (string.IsNullOrEmpty(status) || status == "active");
        Zone[] all = matches ? [Describe(state)] : [];
        return CloudflareResults.Page(all.Skip(paging.Offset).Take(paging.PerPage).ToArray(), paging, all.Length);
    }

    private static CloudflareEnvelopeResult Get(CloudflareState state) => CloudflareResults.Ok(Describe(state));
}
