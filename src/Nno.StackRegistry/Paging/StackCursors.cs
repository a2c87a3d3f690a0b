using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Nno.Core.Pagination;
using Nno.ServiceDefaults.Hosting;

namespace Nno.StackRegistry.Paging;

/// <summary>
/// The Stack Registry's list cursors (00-system §7): one <see cref="CursorCodec"/> whose HMAC key every replica shares:
/// <c>StackRegistry:CursorKey</c> (base64, ≥32 bytes) when configured (distributed mode), else generated once into
/// <c>{dataDir}/secrets/stack-registry-cursor-key</c> (mode 0600), so cursors survive restarts of an all-in-one host.
/// </summary>
internal sealed class StackCursors(IConfiguration configuration, IOptions<NnoOptions> nno)
{
    public const string KeySetting = "StackRegistry:CursorKey";

    private readonly Lazy<CursorCodec> _codec = new(() => new CursorCodec(LoadKey(configuration, nno.Value)));

    /// <summary>A pager for <paramref name="list"/> bound to <paramref name="filters"/> (a cursor of other filters is a 400).</summary>
    public KeysetPager Pager(string list, params ReadOnlySpan<(string Name, string? Value)> filters) =>
        new(_codec.Value, CursorScope.For("stack-registry:" + list, filters));

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
        var path = Path.Combine(directory, "stack-registry-cursor-key");
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
