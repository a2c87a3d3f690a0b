using Microsoft.AspNetCore.Http;
using Nno.Gateway.RateLimiting;

namespace Nno.Gateway.Authentication;

/// <summary>One public route: exact method and path, its short name (access log <c>public:&lt;name&gt;</c>) and its rate buckets.</summary>
/// <param name="Method">Upper-case HTTP method.</param>
/// <param name="Path">The exact public path.</param>
/// <param name="Name">Short name.</param>
/// <param name="Bucket">The route's own bucket (gateway.md §3.3, §4.7).</param>
/// <param name="Anonymous">Whether the <c>anon</c> bucket applies too (every public IAM route except the device-token poll).</param>
/// <param name="Webhook">Webhooks are limited per route only: no <c>ip</c> bucket.</param>
internal sealed record PublicRoute(string Method, string Path, string Name, string Bucket, bool Anonymous, bool Webhook = false)
{
    /// <summary>The access log's <c>route</c> for this route: <c>public:&lt;name&gt;</c>.</summary>
    public string LogRoute { get; } = "public:" + Name;
}

/// <summary>
/// The complete list of public (unauthenticated) routes below <c>/api/</c> (gateway.md §3.3): exact method and exact
/// path, no trailing slash, no case folding. Everything else under <c>/api/</c> needs a credential. The gateway's own
/// endpoints (<c>/health</c>, …) never reach authentication.
/// </summary>
internal static class PublicRoutes
{
    /// <summary>Every public route.</summary>
    public static IReadOnlyList<PublicRoute> All { get; } =
    [
        new("POST", "/api/v1/iam/auth/sign-up/email", "signup", RateLimitBuckets.SignUp, Anonymous: true),
        new("POST", "/api/v1/iam/auth/sign-in/email", "signin", RateLimitBuckets.SignIn, Anonymous: true),
        new("POST", "/api/v1/iam/auth/sign-in/magic-link", "magiclink", RateLimitBuckets.MagicLink, Anonymous: true),
        new("GET", "/api/v1/iam/auth/magic-link/verify", "mlverify", RateLimitBuckets.MagicLinkVerify, Anonymous: true),
        new("POST", "/api/v1/iam/auth/two-factor/verify", "twofactor", RateLimitBuckets.SignIn, Anonymous: true),
        new("POST", "/api/v1/iam/oauth/device/code", "devcode", RateLimitBuckets.DeviceCode, Anonymous: true),
        new("POST", "/api/v1/iam/oauth/device/token", "devtoken", RateLimitBuckets.DeviceToken, Anonymous: false),
        new("POST", "/api/v1/billing/webhooks/stripe", "wh-stripe", RateLimitBuckets.StripeWebhook, Anonymous: false, Webhook: true),
        new("POST", "/api/v1/cli/webhooks/github", "wh-github", RateLimitBuckets.GitHubWebhook, Anonymous: false, Webhook: true),
    ];

    /// <summary>The public route that <paramref name="method"/> and <paramref name="path"/> (the decoded path) are exactly, or null.</summary>
    public static PublicRoute? Find(string method, string path)
    {
        foreach (var route in All)
        {
            // Methods arrive upper-case from Kestrel; a lower-case "post" is another method and needs auth.
            if (string.Equals(path, route.Path, StringComparison.Ordinal) && string.Equals(method, route.Method, StringComparison.Ordinal))
            {
                return route;
            }
        }

        return null;
    }

    /// <summary>True when <paramref name="method"/> and <paramref name="path"/> are exactly a public route.</summary>
    public static bool IsPublic(string method, string path) => Find(method, path) is not null;

    /// <summary>The public route <paramref name="request"/> is, or null.</summary>
    public static PublicRoute? Find(HttpRequest request) => Find(request.Method, request.Path.Value ?? "/");
}
