using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Nno.Iam.Data;
using OtpNet;

namespace Nno.Iam.Mfa;

/// <summary>A new, unconfirmed factor as shown once to the user.</summary>
internal sealed record TotpEnrolment(string TotpUri, string Secret, IReadOnlyList<string> RecoveryCodes);

/// <summary>One stored recovery code: its SHA-256 (base64) and when it was used.</summary>
internal sealed record StoredRecoveryCode(string Hash, long? UsedAt);

/// <summary>
/// The TOTP second factor of iam.md §4.15 through Otp.NET: RFC 6238, SHA-1, 6 digits, 30 s steps, one step of drift
/// either way, each step accepted once (<c>last_used_step</c>). The 20-byte secret is Data Protection–encrypted at rest;
/// ten single-use recovery codes (<c>xxxxx-xxxxx</c>, base32) are stored as SHA-256.
/// </summary>
internal sealed class TotpAuthenticator(IamDbContext db, TimeProvider time, IDataProtectionProvider protection)
{
    public const int SecretBytes = 20;
    public const int RecoveryCodeCount = 10;
    private const string Base32Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly IDataProtector _protector = protection.CreateProtector("Nno.Iam.Mfa.TotpSecret");

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>A fresh secret and recovery codes for <paramref name="userId"/>, replacing an unconfirmed factor (caller saves).</summary>
    public async Task<TotpEnrolment> EnrolAsync(string userId, string email, CancellationToken cancellationToken)
    {
        var secret = RandomNumberGenerator.GetBytes(SecretBytes);
        var codes = NewRecoveryCodes();
        var now = Now;
        var factor = await db.MfaFactors.FirstOrDefaultAsync(f => f.UserId == userId, cancellationToken);
        if (factor is null)
        {
            factor = new MfaFactorRecord { UserId = userId, Secret = [], RecoveryCodes = "[]", CreatedAt = now };
            db.MfaFactors.Add(factor);
        }

        factor.Secret = _protector.Protect(secret);
        factor.RecoveryCodes = StoreCodes(codes);
        factor.ConfirmedAt = null;
        factor.LastUsedStep = null;
        factor.UpdatedAt = now;

        var encoded = Base32Encoding.ToString(secret).TrimEnd('=');
        var uri = $"otpauth://totp/NNO:{Uri.EscapeDataString(email)}?secret={encoded}&issuer=NNO";
        return new TotpEnrolment(uri, encoded, codes);
    }

    /// <summary>New recovery codes for a factor (caller saves); the old ones stop working.</summary>
    public IReadOnlyList<string> RegenerateRecoveryCodes(MfaFactorRecord factor)
    {
        ArgumentNullException.ThrowIfNull(factor);
        var codes = NewRecoveryCodes();
        factor.RecoveryCodes = StoreCodes(codes);
        factor.UpdatedAt = Now;
        return codes;
    }

    /// <summary>True for the shape of a TOTP code (six digits).</summary>
    public static bool IsTotpCode(string code) => code.Length == 6 && code.All(char.IsAsciiDigit);

    /// <summary>True for the shape of a recovery code (<c>xxxxx-xxxxx</c>, base32, any case).</summary>
    public static bool IsRecoveryCode(string code) =>
        code.Length == 11 && code[5] == '-' && code.Remove(5, 1).All(c => Base32Alphabet.Contains(char.ToLowerInvariant(c), StringComparison.Ordinal));

    /// <summary>
    /// Checks a TOTP code against <paramref name="factor"/> and spends its step with a conditional update, so a code is
    /// accepted once even when sent twice at the same moment. Updates <paramref name="factor"/> on success.
    /// </summary>
    public async Task<bool> VerifyTotpAsync(MfaFactorRecord factor, string code, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(factor);
        if (!IsTotpCode(code))
        {
            return false;
        }

        var secret = _protector.Unprotect(factor.Secret);
        var totp = new Totp(secret, step: 30, mode: OtpHashMode.Sha1, totpSize: 6);
        if (!totp.VerifyTotp(time.GetUtcNow().UtcDateTime, code, out var step, new VerificationWindow(previous: 1, future: 1)))
        {
            return false;
        }

        var last = factor.LastUsedStep;
        if (last >= step)
        {
            return false;
        }

        var spent = await db.MfaFactors.Where(f => f.UserId == factor.UserId && (f.LastUsedStep == null || f.LastUsedStep < step))
            .ExecuteUpdateAsync(u => u.SetProperty(f => f.LastUsedStep, step).SetProperty(f => f.UpdatedAt, Now), cancellationToken);
        if (spent == 0)
        {
            return false;
        }

        factor.LastUsedStep = step;
        return true;
    }

    /// <summary>Spends an unused recovery code (conditional on the stored set being unchanged, so a code works once).</summary>
    public async Task<bool> UseRecoveryCodeAsync(MfaFactorRecord factor, string code, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(factor);
        if (!IsRecoveryCode(code))
        {
            return false;
        }

        var presented = SHA256.HashData(Encoding.ASCII.GetBytes(code.ToLowerInvariant()));
        var stored = JsonSerializer.Deserialize<List<StoredRecoveryCode>>(factor.RecoveryCodes, Json) ?? [];
        var index = -1;
        for (var i = 0; i < stored.Count; i++)
        {
            // Every code is compared (in constant time) so timing does not reveal which one matched.
            var match = CryptographicOperations.FixedTimeEquals(presented, Convert.FromBase64String(stored[i].Hash));
            if (match && stored[i].UsedAt is null && index < 0)
            {
                index = i;
            }
        }

        if (index < 0)
        {
            return false;
        }

        var now = Now;
        stored[index] = stored[index] with { UsedAt = now };
        var before = factor.RecoveryCodes;
        var after = JsonSerializer.Serialize(stored, Json);
        var spent = await db.MfaFactors.Where(f => f.UserId == factor.UserId && f.RecoveryCodes == before)
            .ExecuteUpdateAsync(u => u.SetProperty(f => f.RecoveryCodes, after).SetProperty(f => f.UpdatedAt, now), cancellationToken);
        if (spent == 0)
        {
            return false;
        }

        factor.RecoveryCodes = after;
        return true;
    }

    private static List<string> NewRecoveryCodes()
    {
        var codes = new List<string>(RecoveryCodeCount);
        for (var i = 0; i < RecoveryCodeCount; i++)
        {
            var chars = RandomNumberGenerator.GetItems<char>(Base32Alphabet, 10);
            codes.Add(new string(chars, 0, 5) + "-" + new string(chars, 5, 5));
        }

        return codes;
    }

    private static string StoreCodes(IEnumerable<string> codes) =>
        JsonSerializer.Serialize(codes.Select(c => new StoredRecoveryCode(Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(c))), null)).ToList(), Json);
}
