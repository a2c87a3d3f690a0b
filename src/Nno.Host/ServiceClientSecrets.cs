using System.Security.Cryptography;
using System.Text.Json;
using Nno.Core.Services;

namespace Nno.Host;

/// <summary>
/// The per-service client secrets each service presents to IAM for its service token (iam.md §4.8). All-in-one mode
/// generates them once into <c>{dataDir}/secrets/service-clients.json</c> (mode 0600) and hands them to each service
/// through configuration; distributed deployments set them as environment variables.
/// </summary>
public static class ServiceClientSecrets
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Every service that obtains a service token.</summary>
    public static IReadOnlyList<string> Clients { get; } =
        [NnoServices.Gateway, NnoServices.Registry, NnoServices.Billing, NnoServices.Provisioning, NnoServices.StackRegistry, NnoServices.Cli];

    /// <summary>Loads the secrets file, creating it (and any missing entry) first.</summary>
    public static IReadOnlyDictionary<string, string> LoadOrCreate(string dataDir)
    {
        var directory = Path.Combine(dataDir, "secrets");
        Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var path = Path.Combine(directory, "service-clients.json");
        var secrets = File.Exists(path)
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path)) ?? []
            : [];
        var changed = false;
        foreach (var client in Clients)
        {
            if (!secrets.TryGetValue(client, out var value) || value.Length < 32)
            {
                secrets[client] = Base64Url(RandomNumberGenerator.GetBytes(32));
                changed = true;
            }
        }

        if (changed)
        {
            var temp = path + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(secrets, Indented));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            File.Move(temp, path, overwrite: true);
        }

        return secrets;
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
