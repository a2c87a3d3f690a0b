using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Iam.Data;
using Nno.Iam.Links;
using Nno.Iam.Mail;
using Nno.Iam.Sessions;

namespace Nno.Iam.Verifications;

/// <summary>Values of <c>verifications.purpose</c>.</summary>
internal static class VerificationPurposes
{
    public const string MagicLink = "magic-link";
    public const string VerifyEmail = "verify-email";
    public const string Invitation = "invitation";
    public const string TwoFactor = "two-factor";
}

/// <summary>Emailed link settings (<c>Iam:Links</c>, iam.md §4.10).</summary>
internal sealed class LinkOptions
{
    public const string Section = "Iam:Links";

    public TimeSpan MagicLinkLifetime { get; set; } = TimeSpan.FromMinutes(10);

    public TimeSpan VerifyEmailLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>At most <see cref="MaxPerWindow"/> unconsumed magic-link/verify-email links per email in this window.</summary>
    public TimeSpan SendWindow { get; set; } = TimeSpan.FromMinutes(15);

    [System.ComponentModel.DataAnnotations.Range(1, 100)]
    public int MaxPerWindow { get; set; } = 3;
}

/// <summary>
/// Issues and consumes the single-use links of iam.md §4.10: 32 random bytes, stored as SHA-256, emailed as a console
/// URL (never an API URL), consumed by a conditional update of <c>consumed_at</c> so exactly one use succeeds.
/// </summary>
internal sealed class EmailLinks(IamDbContext db, TimeProvider time, IOptions<LinkOptions> options, IOptions<IamOptions> iam, EmailOutbox outbox)
{
    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// False when <paramref name="emailNormalized"/> already has the maximum of unconsumed magic-link or verify-email
    /// links created within the send window: the caller answers as usual and sends nothing.
    /// </summary>
    public async Task<bool> MaySendAsync(string emailNormalized, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var since = Now - (long)settings.SendWindow.TotalMilliseconds;
        var recent = await db.Verifications.CountAsync(
            v => v.Identifier == emailNormalized
                && (v.Purpose == VerificationPurposes.MagicLink || v.Purpose == VerificationPurposes.VerifyEmail)
                && v.ConsumedAt == null
                && v.CreatedAt > since,
            cancellationToken);
        return recent < settings.MaxPerWindow;
    }

    /// <summary>
    /// Adds a <paramref name="purpose"/> link for <paramref name="emailNormalized"/> and its email to
    /// <paramref name="toAddress"/> to the pending changes (the caller saves, with its audit event).
    /// </summary>
    public void Send(string purpose, string emailNormalized, string toAddress, string? callbackUrl, string? newUserName = null)
    {
        var settings = options.Value;
        var lifetime = purpose switch
        {
            VerificationPurposes.MagicLink => settings.MagicLinkLifetime,
            VerificationPurposes.VerifyEmail => settings.VerifyEmailLifetime,
            _ => throw new ArgumentOutOfRangeException(nameof(purpose), purpose, "Only magic-link and verify-email links are sent here."),
        };
        var now = Now;
        var token = OpaqueTokens.New();
        db.Verifications.Add(new VerificationRecord
        {
            Id = IamIds.New("vrf"),
            Purpose = purpose,
            Identifier = emailNormalized,
            TokenHash = OpaqueTokens.Hash(token),
            CallbackUrl = callbackUrl,
            NewUserName = newUserName,
            ExpiresAt = now + (long)lifetime.TotalMilliseconds,
            CreatedAt = now,
        });
        var link = ConsoleLink(token, callbackUrl);
        outbox.Add(toAddress, purpose == VerificationPurposes.MagicLink ? EmailTemplates.MagicLink(link) : EmailTemplates.VerifyEmail(link));
    }

    /// <summary>
    /// <c>{ConsoleBaseUrl}/auth/magic-link?token=…</c>, plus <c>&amp;returnUrl=</c> when the callback is a path: opening
    /// it shows a confirmation page and spends nothing, so mail scanners cannot use up the link.
    /// </summary>
    public string ConsoleLink(string token, string? callbackUrl)
    {
        var link = iam.Value.ConsoleBaseUrl.TrimEnd('/') + "/auth/magic-link?token=" + Uri.EscapeDataString(token);
        return callbackUrl is { Length: > 0 } path && path.StartsWith('/') ? link + "&returnUrl=" + Uri.EscapeDataString(path) : link;
    }

    /// <summary>
    /// Spends an emailed link: the unconsumed, unexpired row of <paramref name="token"/> with one of the emailed
    /// purposes, marked consumed by a conditional update (a second use, even a concurrent one, gets null).
    /// </summary>
    public async Task<VerificationRecord?> ConsumeAsync(string? token, CancellationToken cancellationToken)
    {
        if (!OpaqueTokens.LooksValid(token))
        {
            return null;
        }

        var now = Now;
        var hash = OpaqueTokens.Hash(token!);

        // The write comes first: inside the caller's transaction it takes SQLite's write lock before anything is read,
        // so a concurrent second use waits and then finds the link spent instead of failing on a stale snapshot.
        var spent = await db.Verifications
            .Where(v => v.TokenHash == hash
                && (v.Purpose == VerificationPurposes.MagicLink || v.Purpose == VerificationPurposes.VerifyEmail || v.Purpose == VerificationPurposes.Invitation)
                && v.ConsumedAt == null
                && v.ExpiresAt > now)
            .ExecuteUpdateAsync(u => u.SetProperty(v => v.ConsumedAt, now), cancellationToken);
        if (spent == 0)
        {
            return null;
        }

        var row = await db.Verifications.AsNoTracking().FirstAsync(v => v.TokenHash == hash, cancellationToken);
        return row;
    }
}
