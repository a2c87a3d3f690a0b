using Microsoft.Extensions.Options;
using Nno.Core.Errors;

namespace Nno.Iam.Links;

/// <summary>
/// The <c>callbackURL</c> rule of iam.md §4.10 (open redirects, §6): a path starting with a single <c>/</c>, or an
/// absolute http(s) URL whose origin is allowed. Anything else is a 400 naming the field.
/// </summary>
internal sealed class CallbackUrls(IOptions<IamOptions> options)
{
    public const int MaxLength = 2048;

    /// <summary>True when <paramref name="value"/> is acceptable (null is acceptable: no callback).</summary>
    public bool IsAllowed(string? value)
    {
        if (value is null)
        {
            return true;
        }

        if (value.Length is 0 or > MaxLength || value.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c == '\\'))
        {
            return false;
        }

        if (value[0] == '/')
        {
            // "//evil.example" is protocol-relative: a foreign origin in disguise.
            return value.Length == 1 || value[1] != '/';
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || uri.UserInfo.Length > 0)
        {
            return false;
        }

        return options.Value.CallbackOrigins().Contains(uri.GetLeftPart(UriPartial.Authority));
    }

    /// <summary>Throws the 400 of iam.md §6 when <paramref name="value"/> is not allowed.</summary>
    public void Require(string? value, string field = "callbackURL")
    {
        if (!IsAllowed(value))
        {
            throw ApiException.Validation(field, "must be a path starting with a single '/' or a URL on an allowed origin");
        }
    }

    /// <summary>An absolute URL for a stored callback (paths resolve against the console).</summary>
    public string Resolve(string callback) =>
        callback.StartsWith('/') ? options.Value.ConsoleBaseUrl.TrimEnd('/') + callback : callback;
}
