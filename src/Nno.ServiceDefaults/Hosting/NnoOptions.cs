using System.ComponentModel.DataAnnotations;

namespace Nno.ServiceDefaults.Hosting;

/// <summary>Settings every NNO service shares (configuration section <c>Nno</c>).</summary>
public sealed class NnoOptions
{
    public const string Section = "Nno";

    /// <summary><c>local</c>, <c>dev</c>, <c>stg</c> or <c>prod</c>.</summary>
    [Required]
    [RegularExpression("^(local|dev|stg|prod)$")]
    public string Environment { get; set; } = "local";

    /// <summary>Root of every file NNO keeps (databases, KV, queues, secrets, keys). Default <c>./.nno/&lt;environment&gt;</c>.</summary>
    public string? DataDir { get; set; }

    /// <summary>Base domain of NNO's own hostnames (00-system §8).</summary>
    [Required]
    public string CoreDomain { get; set; } = "nno.app";

    /// <summary>Base domain of customer platforms (00-system §8).</summary>
    [Required]
    public string PlatformDomain { get; set; } = "nno.run";

    /// <summary>The client secret this service presents to IAM for its service token (<c>NNO_SERVICE_CLIENT_SECRET</c>).</summary>
    public string? ServiceClientSecret { get; set; }

    /// <summary>The resolved data directory.</summary>
    public string ResolvedDataDir => Path.GetFullPath(DataDir ?? Path.Combine(".nno", Environment));
}

/// <summary>Who this application is (set by the host when it builds the application).</summary>
public sealed record NnoServiceIdentity(string Name, string Version);
