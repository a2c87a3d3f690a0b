using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Nno.Sandbox.Cloudflare.Common;

namespace Nno.Sandbox.Cloudflare.Tokens;

/// <summary>A verified token.</summary>
public sealed record TokenStatus(string Id, string Status);

/// <summary><c>GET /user/tokens/verify</c> and <c>GET /accounts/{a}/tokens/verify</c> (the pipeline already checked the token).</summary>
internal static class TokensApi
{
    public static CloudflareArea Area { get; } = new()
    {
        Name = "Tokens",
        Map = groups =>
        {
            groups.Api.MapGet("/user/tokens/verify", Verify)
                .WithName("CloudflareUserTokenVerify").WithSummary("Verifies the bearer token.").WithTags("Cloudflare tokens");
            groups.Account.MapGet("/tokens/verify", Verify)
                .WithName("CloudflareAccountTokenVerify").WithSummary("Verifies the bearer token for the account.").WithTags("Cloudflare tokens");
        },
    };

    private static CloudflareEnvelopeResult Verify(HttpRequest request)
    {
        var token = request.Headers.Authorization.ToString()["Bearer ".Length..].Trim();
        // A stable id per token that reveals nothing about it.
        var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)))[..32];
        return CloudflareResults.Ok(new TokenStatus(id, "active"), messages: ["This API Token is valid and active"]);
    }
}
