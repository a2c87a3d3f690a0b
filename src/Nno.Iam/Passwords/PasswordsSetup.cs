using Microsoft.Extensions.DependencyInjection;

namespace Nno.Iam.Passwords;

/// <summary>Registers the password policy, the common-password list and hashing with its options (iam.md §4.4).</summary>
internal static class PasswordsSetup
{
    public static IServiceCollection AddIamPasswords(this IServiceCollection services)
    {
        services.AddOptions<PasswordOptions>().BindConfiguration(PasswordOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<CommonPasswordList>();
        services.AddSingleton<PasswordPolicy>();
        services.AddSingleton<PasswordHashing>();
        return services;
    }
}
