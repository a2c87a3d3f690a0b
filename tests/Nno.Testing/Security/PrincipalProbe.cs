using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Nno.Core.Json;
using Nno.ServiceDefaults.Security;

namespace Nno.Testing.Security;

/// <summary>
/// Test-only routes that answer with the principal the middleware resolved, one per kind of access rule. Add them to a
/// service with <c>configurePipeline</c>.
/// </summary>
public static class PrincipalProbe
{
    /// <summary>No allowlist: users (through the gateway) only.</summary>
    public const string Open = "/test/probe/open";

    /// <summary><c>AllowServices("registry", "gateway")</c>.</summary>
    public const string Shared = "/test/probe/shared";

    /// <summary><c>ServiceOnly("registry")</c>.</summary>
    public const string Internal = "/test/probe/internal";

    /// <summary><c>AllowWithoutServiceToken()</c>.</summary>
    public const string Tokenless = "/test/probe/tokenless";

    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet(Open, Describe);
        app.MapGet(Shared, Describe).AllowServices("registry", "gateway");
        app.MapGet(Internal, Describe).ServiceOnly("registry");
        app.MapGet(Tokenless, Describe).AllowWithoutServiceToken();
    }

    /// <summary>Reads a probe answer: the principal as JSON, or null.</summary>
    public static async Task<JsonElement?> ReadPrincipalAsync(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var principal = document.RootElement.GetProperty("principal");
        return principal.ValueKind == JsonValueKind.Null ? null : principal.Clone();
    }

    private static IResult Describe(HttpContext context) =>
        Results.Json(new { principal = context.GetNnoPrincipal() }, NnoJson.Options);
}
