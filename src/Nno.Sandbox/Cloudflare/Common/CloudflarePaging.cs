using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Nno.Sandbox.Cloudflare.Common;

/// <summary>A page request of a page list (<c>page</c> from 1, <c>per_page</c>).</summary>
public sealed record CloudflarePaging(int Page, int PerPage)
{
    /// <summary>Rows to skip.</summary>
    public int Offset => (Page - 1) * PerPage;

    /// <summary>Reads <c>page</c> and <c>per_page</c>; bad values are 400, never clamped silently past the maximum.</summary>
    public static CloudflarePaging Read(HttpRequest request, int defaultPerPage = 20, int maxPerPage = 100, int minPerPage = 1)
    {
        ArgumentNullException.ThrowIfNull(request);
        var page = ReadInt(request, "page", 1, 1, 1_000_000);
        var perPage = ReadInt(request, "per_page", defaultPerPage, minPerPage, maxPerPage);
        return new CloudflarePaging(page, perPage);
    }

    /// <summary>Reads an integer query parameter within bounds (400 otherwise).</summary>
    public static int ReadInt(HttpRequest request, string name, int fallback, int min, int max)
    {
        ArgumentNullException.ThrowIfNull(request);
        var raw = request.Query[name].ToString();
        if (string.IsNullOrEmpty(raw))
        {
            return fallback;
        }

        if (!int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw CloudflareException.BadRequest($"{name} must be an integer from {min} to {max}.");
        }

        return value;
    }
}
