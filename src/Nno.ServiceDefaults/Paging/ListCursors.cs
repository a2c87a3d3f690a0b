using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;
using Nno.Core.Pagination;
using Nno.ServiceDefaults.Hosting;

namespace Nno.ServiceDefaults.Paging;

/// <summary>
/// A service's list cursors (00-system §7): one <see cref="CursorCodec"/> whose HMAC key every replica shares. The key
/// is the setting <c>{Service}:CursorKey</c> (base64, at least 32 bytes) when configured (distributed mode), else
/// generated once into <c>{dataDir}/secrets/{service}-cursor-key</c> (mode 0600), so cursors stay valid across restarts
/// of an all-in-one host. Each service derives one sealed class and registers it as a singleton.
/// </summary>
public abstract class ListCursors
{
    private readonly Lazy<CursorCodec> _codec;
    private readonly string _scopePrefix;

    /// <param name="configuration">Where <paramref name="keySetting"/> is read.</param>
    /// <param name="nno">The data directory the generated key goes under.</param>
    /// <param name="keySetting">The configured key's setting, e.g. <c>Iam:CursorKey</c>.</param>
    /// <param name="service">The service's name: the key file is <c>{service}-cursor-key</c>, cursor scopes start <c>{service}:</c>.</param>
    protected ListCursors(IConfiguration configuration, NnoOptions nno, string keySetting, string service)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(nno);
        _scopePrefix = service + ":";
        _codec = new(() => new CursorCodec(LoadKey(configuration[keySetting], keySetting, Path.Combine(nno.ResolvedDataDir, "secrets", service + "-cursor-key"))));
    }

    public CursorCodec Codec => _codec.Value;

    /// <summary>A pager for <paramref name="list"/> bound to <paramref name="filters"/> (a cursor of other filters is a 400).</summary>
    public KeysetPager Pager(string list, params ReadOnlySpan<(string Name, string? Value)> filters) =>
        new(Codec, CursorScope.For(_scopePrefix + list, filters));

    /// <summary>Parses <c>limit</c>, <c>cursor</c> and <c>includeTotal</c> from the query string (400 naming bad fields).</summary>
    public static PageRequest ParseQuery(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var query = request.Query;
        return PageRequest.Parse(Last(query["limit"]), Last(query["cursor"]), Last(query["includeTotal"]));
    }

    private static string? Last(StringValues values) => values.Count == 0 ? null : values[^1];

    /// <summary>The configured key, or the one in <paramref name="path"/> (created once; two apps starting at once agree).</summary>
    private static byte[] LoadKey(string? configured, string keySetting, string path)
    {
        if (configured is { Length: > 0 })
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(configured);
            }
            catch (FormatException)
            {
                throw new InvalidOperationException($"{keySetting} must be base64.");
            }

            return bytes.Length >= CursorCodec.MinKeyLength ? bytes : throw new InvalidOperationException($"{keySetting} must hold at least {CursorCodec.MinKeyLength} bytes.");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (TryRead(path, out var existing))
        {
            return existing;
        }

        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temp, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
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

        return TryRead(path, out var stored) ? stored : throw new InvalidOperationException("The cursor key file could not be read.");
    }

    private static bool TryRead(string path, out byte[] key)
    {
        key = [];
        if (!File.Exists(path))
        {
            return false;
        }

        try
        {
            key = Convert.FromBase64String(File.ReadAllText(path).Trim());
            return key.Length >= CursorCodec.MinKeyLength;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
