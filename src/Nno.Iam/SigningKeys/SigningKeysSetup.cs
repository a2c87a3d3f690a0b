using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam.SigningKeys;

/// <summary>Registers the key ring, its maintenance, Data Protection for the private keys and IAM's own key source.</summary>
internal static class SigningKeysSetup
{
    /// <summary>Data Protection application name: fixed, so the key ring stays usable whatever the host's content root.</summary>
    public const string DataProtectionApplicationName = "nno-iam";

    public static IServiceCollection AddSigningKeys(this IServiceCollection services)
    {
        services.AddOptions<SigningKeyOptions>().BindConfiguration(SigningKeyOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        // Private keys are encrypted with Data Protection; its own key ring lives in {dataDir}/keys (iam.md §4.8).
        services.AddDataProtection().SetApplicationName(DataProtectionApplicationName);
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<NnoOptions>, ILoggerFactory>((o, nno, loggers) =>
        {
            var directory = Path.Combine(nno.Value.ResolvedDataDir, "keys");
            Directory.CreateDirectory(directory);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            o.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(directory), loggers);
        });

        services.AddSingleton<SigningKeyRing>();
        services.AddHostedService<SigningKeyMaintenance>();
        services.Replace(ServiceDescriptor.Singleton<IServiceTokenKeySource, SigningKeyRingKeySource>());
        return services;
    }
}
