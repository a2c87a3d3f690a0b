using System.ComponentModel.DataAnnotations;

namespace Nno.Iam;

/// <summary>IAM's general settings (configuration section <c>Iam</c>, iam.md §1, §4.2, §4.10).</summary>
internal sealed class IamOptions
{
    public const string Section = "Iam";

    /// <summary>Where emailed links point (console.md); never an API URL.</summary>
    [Required]
    public string ConsoleBaseUrl { get; set; } = "http://localhost:5174";

    /// <summary>Origins an absolute <c>callbackURL</c> may use; empty = the local console origins.</summary>
    public List<string> AllowedCallbackOrigins { get; set; } = [];

    /// <summary>The platform id of the <c>nno-operator</c> organization: never issued by the Registry, never a fallback active platform.</summary>
    [Required]
    [RegularExpression("^[a-z0-9]{10}$")]
    public string OperatorPlatformId { get; set; } = "0000000000";

    /// <summary>False: only invitations create accounts (sign-up 403, magic links to unknown emails send nothing).</summary>
    public bool SignUpEnabled { get; set; } = true;

    /// <summary>iam.md §4.2: at most this many platform memberships per user (409 <c>membership_limit</c> beyond).</summary>
    [Range(1, 10_000)]
    public int MaxPlatformsPerUser { get; set; } = 100;

    /// <summary>The effective callback origins (the console's own origin is always allowed).</summary>
    public IReadOnlyCollection<string> CallbackOrigins()
    {
        var origins = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (Uri.TryCreate(ConsoleBaseUrl, UriKind.Absolute, out var console))
        {
            origins.Add(console.GetLeftPart(UriPartial.Authority));
        }

        if (AllowedCallbackOrigins.Count == 0)
        {
            origins.Add("http://localhost:5174");
            origins.Add("http://127.0.0.1:5174");
        }

        foreach (var origin in AllowedCallbackOrigins)
        {
            origins.Add(origin.TrimEnd('/'));
        }

        return origins;
    }
}
