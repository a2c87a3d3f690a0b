namespace Nno.Core.Environments;

/// <summary>Names, parsing and the naming affixes of <see cref="NnoEnvironment"/> and <see cref="PlatformEnvironment"/>.</summary>
public static class EnvironmentNames
{
    /// <summary>The wire name: <c>local</c>, <c>dev</c>, <c>stg</c> or <c>prod</c>.</summary>
    public static string ToName(this NnoEnvironment environment) => environment switch
    {
        NnoEnvironment.Local => "local",
        NnoEnvironment.Dev => "dev",
        NnoEnvironment.Stg => "stg",
        NnoEnvironment.Prod => "prod",
        _ => throw new ArgumentOutOfRangeException(nameof(environment), environment, "Unknown environment."),
    };

    /// <summary>The wire name: <c>dev</c>, <c>stg</c> or <c>prod</c>.</summary>
    public static string ToName(this PlatformEnvironment environment) => environment.ToNnoEnvironment().ToName();

    /// <summary>The same environment as an <see cref="NnoEnvironment"/> (every platform environment is one).</summary>
    public static NnoEnvironment ToNnoEnvironment(this PlatformEnvironment environment) => environment switch
    {
        PlatformEnvironment.Dev => NnoEnvironment.Dev,
        PlatformEnvironment.Stg => NnoEnvironment.Stg,
        PlatformEnvironment.Prod => NnoEnvironment.Prod,
        _ => throw new ArgumentOutOfRangeException(nameof(environment), environment, "Unknown platform environment."),
    };

    /// <summary>The platform environment for <paramref name="environment"/>; false for <c>local</c>, which APIs do not accept.</summary>
    public static bool TryToPlatformEnvironment(this NnoEnvironment environment, out PlatformEnvironment result)
    {
        switch (environment)
        {
            case NnoEnvironment.Dev: result = PlatformEnvironment.Dev; return true;
            case NnoEnvironment.Stg: result = PlatformEnvironment.Stg; return true;
            case NnoEnvironment.Prod: result = PlatformEnvironment.Prod; return true;
            default: result = default; return false;
        }
    }

    /// <summary>Parses an exact, case-sensitive name (<c>local|dev|stg|prod</c>).</summary>
    public static bool TryParse(string? value, out NnoEnvironment environment)
    {
        switch (value)
        {
            case "local": environment = NnoEnvironment.Local; return true;
            case "dev": environment = NnoEnvironment.Dev; return true;
            case "stg": environment = NnoEnvironment.Stg; return true;
            case "prod": environment = NnoEnvironment.Prod; return true;
            default: environment = default; return false;
        }
    }

    /// <summary>Parses an exact, case-sensitive API name (<c>dev|stg|prod</c>); <c>local</c> is refused.</summary>
    public static bool TryParse(string? value, out PlatformEnvironment environment)
    {
        if (TryParse(value, out NnoEnvironment nno) && nno.TryToPlatformEnvironment(out environment))
        {
            return true;
        }

        environment = default;
        return false;
    }

    /// <summary>Parses a configured deployment environment; throws <see cref="ArgumentException"/> (a start-up error) otherwise.</summary>
    public static NnoEnvironment Parse(string? value) =>
        TryParse(value, out NnoEnvironment environment)
            ? environment
            : throw new ArgumentException($"Unknown environment \"{value}\"; expected one of local, dev, stg, prod.", nameof(value));

    /// <summary>Parses an API value; anything but <c>dev|stg|prod</c> is a 400 <c>VALIDATION_ERROR</c> naming <paramref name="field"/>.</summary>
    public static PlatformEnvironment ParsePlatform(string? value, string field = "environment") =>
        TryParse(value, out PlatformEnvironment environment)
            ? environment
            : throw Errors.ApiException.Validation(field, "must be one of dev, stg, prod");

    /// <summary>
    /// The suffix of Cloudflare resource names: <c>-stg</c>, <c>-dev</c>, or empty for <c>prod</c> and <c>local</c>
    /// (a local deployment only ever talks to its own sandbox, so its names cannot collide with real ones).
    /// </summary>
    public static string ResourceSuffix(this NnoEnvironment environment) => environment switch
    {
        NnoEnvironment.Dev => "-dev",
        NnoEnvironment.Stg => "-stg",
        NnoEnvironment.Prod or NnoEnvironment.Local => "",
        _ => throw new ArgumentOutOfRangeException(nameof(environment), environment, "Unknown environment."),
    };

    /// <summary>The hostname label inserted for the environment: <c>stg</c>, <c>dev</c>, or null for <c>prod</c> and <c>local</c>.</summary>
    public static string? HostnameLabel(this NnoEnvironment environment) => environment switch
    {
        NnoEnvironment.Dev => "dev",
        NnoEnvironment.Stg => "stg",
        NnoEnvironment.Prod or NnoEnvironment.Local => null,
        _ => throw new ArgumentOutOfRangeException(nameof(environment), environment, "Unknown environment."),
    };
}
