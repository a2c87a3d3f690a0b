using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Nno.Core.Errors;
using Nno.Core.Pagination;
using Nno.ServiceDefaults.Hosting;

namespace Nno.Registry.Paging;

/// <summary>
/// The Registry's list cursors (00-system §7): one <see cref="CursorCodec"/> whose HMAC key every replica shares. The key is
/// <c>Registry:CursorKey</c> (base64, at least 32 bytes) when configured (distributed mode), else generated once into
/// <c>{dataDir}/secrets/registry-cursor-key</c> (mode 0600), so cursors stay valid across restarts of an all-in-one host.
/// </summary>
internal sealed class RegistryCursors(IConfiguration configuration, IOptions<NnoOptions> nno)
{
    public const string KeySetting = "Registry:CursorKey";

    private readonly Lazy<CursorCodec> _codec = new(() => new CursorCodec(LoadKey(configuration, nno.Value)));

    public CursorCodec Codec => _codec.Value;

    /// <summary>A pager for <paramref name="list"/> under <paramref name="filters"/> (a cursor of other filters is a 400).</summary>
    public KeysetPager Pager(string list, params ReadOnlySpan<(string Name, string? Value)> filters) =>
        new(Codec, CursorScope.For("registry:" + list, filters));

    /// <summary>Same as <see cref="Pager"/>.</summary>
    public KeysetPager For(string list, params ReadOnlySpan<(string Name, string? Value)> filters) => Pager(list, filters);

    /// <summary>Parses <c>limit</c>, <c>cursor</c> and <c>includeTotal</c> from the query string (400 naming bad fields).</summary>
    public static PageRequest Request(Microsoft.AspNetCore.Http.HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var query = request.Query;
        return PageRequest.Parse(Single(query["limit"]), Single(query["cursor"]), Single(query["includeTotal"]));
    }

    private static string? Single(Microsoft.Extensions.Primitives.StringValues values) => values.Count == 0 ? null : values[^1];

    /// <summary>The paging part of a list request from its query values (400 naming <c>limit</c>/<c>includeTotal</c>).</summary>
    public static PageRequest Parse(string? limit, string? cursor, string? includeTotal) => PageRequest.Parse(limit, cursor, includeTotal);

    private static byte[] LoadKey(IConfiguration configuration, NnoOptions nno)
    {
        if (configuration[KeySetting] is { Length: > 0 } configured)
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(configured);
            }
            catch (FormatException)
            {
                throw new InvalidOperationException($"{KeySetting} must be base64.");
            }

            return bytes.Length >= CursorCodec.MinKeyLength ? bytes : throw new InvalidOperationException($"{KeySetting} must hold at least {CursorCodec.MinKeyLength} bytes.");
        }

        var directory = Path.Combine(nno.ResolvedDataDir, "secrets");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "registry-cursor-key");
        if (File.Exists(path) && TryRead(path, out var existing))
        {
            return existing;
        }

        var key = RandomNumberGenerator.GetBytes(32);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temp, Convert.ToBase64String(key));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        // Two apps starting at once: the first move wins and both read the winner back.
        try
        {
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException)
        {
            File.Delete(temp);
        }

        return TryRead(path, out var stored) ? stored : throw new ApiException("The cursor key file could not be read.");
    }

    private static bool TryRead(string path, out byte[] key)
    {
        try
        {
            key = Convert.FromBase64String(File.ReadAllText(path).Trim());
            return key.Length >= CursorCodec.MinKeyLength;
        }
        catch (FormatException)
        {
            key = [];
            return false;
        }
    }
}
