using System.ComponentModel.DataAnnotations;

namespace Nno.Iam.ApiKeys;

/// <summary>API-key limits (<c>Iam:ApiKeys</c>, iam.md §3.5, §4.6).</summary>
internal sealed class ApiKeyOptions
{
    public const string Section = "Iam:ApiKeys";

    /// <summary>Live (not revoked, not expired) keys a user may hold; one more is 409.</summary>
    [Range(1, 10_000)]
    public int MaxLivePerUser { get; set; } = 50;

    /// <summary>Lifetime when the request gives no <c>expiresInDays</c>.</summary>
    [Range(1, 365)]
    public int DefaultExpiresInDays { get; set; } = 90;

    /// <summary><c>last_used_at</c>/<c>last_used_ip</c> are written at most this often per key.</summary>
    public TimeSpan LastUsedInterval { get; set; } = TimeSpan.FromMinutes(1);
}
