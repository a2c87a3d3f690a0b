using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Nno.Core.Environments;
using Nno.Iam.Sessions;
using Nno.ServiceDefaults.Hosting;

namespace Nno.Iam.Auth;

/// <summary>
/// The Better Auth compatibility cookie <c>nno.session_token</c> (iam.md §1, §4.3): set on every response that creates a
/// session, cleared on sign-out. Nothing in NNO reads it; it exists so Better Auth clients behave as they expect.
/// </summary>
internal sealed class SessionCookie(IOptions<SessionCookieOptions> cookie, IOptions<NnoOptions> nno)
{
    public const string Name = "nno.session_token";

    public void Set(HttpResponse response, IssuedSession issued)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(issued);
        var options = Options();
        if (issued.Session.RememberMe)
        {
            // Max-Age = the absolute lifetime; a rememberMe:false session gets a browser-session cookie.
            options.MaxAge = TimeSpan.FromMilliseconds(issued.Session.AbsoluteExpiresAt - issued.Session.CreatedAt);
        }

        response.Cookies.Append(Name, issued.Token, options);
    }

    public void Clear(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Cookies.Delete(Name, Options());
    }

    private CookieOptions Options() => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Path = "/",
        Secure = EnvironmentNames.Parse(nno.Value.Environment) != NnoEnvironment.Local,
        Domain = string.IsNullOrWhiteSpace(cookie.Value.CookieDomain) ? null : cookie.Value.CookieDomain.Trim(),
        IsEssential = true,
    };
}
