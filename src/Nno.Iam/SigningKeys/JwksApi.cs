using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam.SigningKeys;

/// <summary><c>GET /api/nno/jwks</c> and its alias <c>/.well-known/jwks.json</c> (iam.md §3.5): the published public keys, no token needed.</summary>
internal static class JwksApi
{
    public static IEndpointRouteBuilder MapJwks(this IEndpointRouteBuilder app)
    {
        app.MapGet(ServiceTokenProtocol.JwksPath, GetJwksAsync)
            .WithName("GetJwks").WithSummary("The public keys that verify service tokens.").WithTags("Service tokens")
            .AllowWithoutServiceToken();
        app.MapGet(ServiceTokenProtocol.JwksAliasPath, GetJwksAsync)
            .WithName("GetWellKnownJwks").WithSummary("Alias of /api/nno/jwks.").WithTags("Service tokens")
            .AllowWithoutServiceToken();
        return app;
    }

    private static async Task<Ok<JsonWebKeySetDocument>> GetJwksAsync(HttpContext context, SigningKeyRing ring, IOptions<SigningKeyOptions> options, CancellationToken cancellationToken)
    {
        var keys = await ring.GetPublishedKeysAsync(cancellationToken);
        context.Response.Headers.CacheControl = "max-age=" + ((long)options.Value.JwksMaxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        return TypedResults.Ok(new JsonWebKeySetDocument(keys.Select(k => k.PublicJwk).ToList()));
    }
}
