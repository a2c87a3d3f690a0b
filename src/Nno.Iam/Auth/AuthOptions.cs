using Microsoft.Extensions.Options;
using Nno.ServiceDefaults.Hosting;

namespace Nno.Iam.Auth;

/// <summary>Settings of the Better Auth–compatible surface (<c>Iam</c> and <c>Iam:Auth</c>, iam.md §3.1, §4.3).</summary>
internal sealed class AuthOptions
{
    public const string Section = "Iam:Auth";

    /// <summary>
    /// How young a session must be to stand in for the password (change-password of a <c>magic-link</c> session,
    /// enabling the second factor without a credential account).
    /// </summary>
    public TimeSpan FreshSession { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Request bodies on <c>/api/auth/*</c> above this many bytes answer 413 (iam.md §6).</summary>
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;
}

/// <summary>The compatibility cookie's domain (<c>Iam:CookieDomain</c>, iam.md §4.3).</summary>
internal sealed class SessionCookieOptions
{
    public const string Section = "Iam";

    /// <summary>The cookie's <c>Domain</c>; null = host-only (the default).</summary>
    public string? CookieDomain { get; set; }
}

/// <summary>
/// Start-up check of iam.md §4.3: a <c>CookieDomain</c> equal to <c>Nno:PlatformDomain</c>, a parent of it or any
/// domain under it would hand NNO's session cookie to customer code, so the service refuses to start.
/// </summary>
internal sealed class SessionCookieOptionsValidator(IOptions<NnoOptions> nno) : IValidateOptions<SessionCookieOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionCookieOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.CookieDomain))
        {
            return ValidateOptionsResult.Success;
        }

        var cookie = Normalize(options.CookieDomain);
        var platform = Normalize(nno.Value.PlatformDomain);
        if (cookie.Length == 0)
        {
            return ValidateOptionsResult.Fail("Iam:CookieDomain is not a domain name.");
        }

        return cookie == platform || platform.EndsWith("." + cookie, StringComparison.Ordinal) || cookie.EndsWith("." + platform, StringComparison.Ordinal)
            ? ValidateOptionsResult.Fail($"Iam:CookieDomain '{options.CookieDomain}' overlaps Nno:PlatformDomain '{nno.Value.PlatformDomain}': customer platforms would receive NNO's session cookie.")
            : ValidateOptionsResult.Success;
    }

    // Cookie domains are case-insensitive and a leading dot means the same as none (RFC 6265 §5.2.3).
    private static string Normalize(string domain) => domain.Trim().TrimStart('.').TrimEnd('.').ToLowerInvariant();
}
