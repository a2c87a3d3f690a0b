using System.Security.Cryptography;

namespace Nno.Host;

/// <summary>
/// The gateway's static service key in all-in-one <c>local</c> mode (gateway.md §2): when <c>AUTH_API_KEY</c> is not
/// set, it is generated once into <c>{dataDir}/secrets/auth-api-key</c> (mode 0600) and reused on every start. Other
/// environments must set it (the gateway refuses to start without it while the static key is enabled).
/// </summary>
public static class StaticServiceKey
{
    /// <summary>The key file's path below <paramref name="dataDir"/>.</summary>
    public static string PathFor(string dataDir) => Path.Combine(dataDir, "secrets", "auth-api-key");

    /// <summary>Reads the key file, creating it first when it is missing or holds a key shorter than 32 characters.</summary>
    public static string LoadOrCreate(string dataDir)
    {
        var path = PathFor(dataDir);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length >= 32)
            {
                return existing;
            }
        }

        // 256 random bits, base64url: visible ASCII, usable as a bearer token as is.
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var temp = path + ".tmp";
        File.WriteAllText(temp, key + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temp, path, overwrite: true);
        return key;
    }
}
