using Microsoft.AspNetCore.Http;

namespace Nno.Gateway.Authentication;

/// <summary>
/// The complete list of public (unauthenticated) routes below <c>/api/</c> (gateway.md §3.3): exact method and exact
/// path, no trailing slash, no case folding. Everything else under <c>/api/</c> needs a credential. The gateway's own
/// endpoints (<c>/health</c>, …) never reach authentication.
/// </summary>
internal static class PublicRoutes
{
    /// <summary>Method and public path of every public route, with its short name (access log <c>public:&lt;name&gt;</c>).</summary>
    public static IReadOnlyList<(string Method, string Path, string Name)> All { get; } =
    [
        ("POST", "/api/v1/iam/auth/sign-up/email", "signup"),
        ("POST", "/api/v1/iam/auth/sign-in/email", "signin"),
        ("POST", "/api/v1/iam/auth/sign-in/magic-link", "magiclink"),
        ("GET", "/api/v1/iam/auth/magic-link/verify", "mlverify"),
        ("POST", "/api/v1/iam/auth/two-factor/verify", "twofactor"),
        ("POST", "/api/v1/iam/oauth/device/code", "devcode"),
        ("POST", "/api/v1/iam/oauth/device/token", "devtoken"),
        ("POST", "/api/v1/billing/webhooks/stripe", "wh-stripe"),
        ("POST", "/api/v1/cli/webhooks/github", "wh-github"),
    ];

    /// <summary>True when <paramref name="method"/> and <paramref name="path"/> (the decoded path) are exactly a public route.</summary>
    public static bool IsPublic(string method, string path)
    {
        foreach (var (m, p, _) in All)
        {
            // Methods arrive upper-case from Kestrel; a lower-case "post" is another method and needs auth.
            if (string.Equals(path, p, StringComparison.Ordinal) && string.Equals(method, m, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Same as <see cref="IsPublic(string, string)"/> for a request.</summary>
    public static bool IsPublic(HttpRequest request) => IsPublic(request.Method, request.Path.Value ?? "/");
}
