using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Nno.Core.Errors;

namespace Nno.Iam.Passwords;

/// <summary>The result of checking a password against a stored hash.</summary>
internal enum PasswordVerification
{
    /// <summary>Wrong password, or no stored hash (the dummy hash was checked instead).</summary>
    Failed,

    /// <summary>Correct.</summary>
    Success,

    /// <summary>Correct, but the hash uses fewer iterations or an older format: store <see cref="PasswordHashing.HashAsync"/> of it.</summary>
    SuccessRehashNeeded,
}

/// <summary>
/// Password hashing (iam.md §4.4): ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/> in the V3 format
/// (PBKDF2-HMAC-SHA512, 128-bit salt) with <c>Iam:Passwords:Iterations</c>. At most
/// <see cref="PasswordOptions.EffectiveConcurrency"/> hashes run at once so sign-in storms cannot starve the service;
/// a caller that waits longer than <c>Iam:Passwords:MaxWaitSeconds</c> gets 503 <c>SERVICE_UNAVAILABLE</c>.
/// Callers pass passwords already validated/normalised by <see cref="PasswordPolicy"/> (NFC).
/// </summary>
internal sealed class PasswordHashing : IDisposable
{
    private readonly PasswordHasher<object> _hasher;
    private readonly SemaphoreSlim _slots;
    private readonly TimeSpan _maxWait;
    private readonly string _dummyHash;

    public PasswordHashing(IOptions<PasswordOptions> options)
    {
        var value = options.Value;
        _hasher = new PasswordHasher<object>(Options.Create(new PasswordHasherOptions
        {
            CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV3,
            IterationCount = value.Iterations,
        }));
        Concurrency = value.EffectiveConcurrency;
        _slots = new SemaphoreSlim(Concurrency, Concurrency);
        _maxWait = TimeSpan.FromSeconds(value.MaxWaitSeconds);

        // A hash of a random secret nobody knows, with the configured cost: verifying an unknown user against it
        // takes as long as verifying a real user, so timing does not reveal whether an email exists.
        _dummyHash = _hasher.HashPassword(Subject, Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)));
    }

    /// <summary>How many hashes may run at once.</summary>
    public int Concurrency { get; }

    // PasswordHasher's V3 format ignores the user; one shared instance stands in for it.
    private static readonly object Subject = new();

    /// <summary>A V3 hash of <paramref name="password"/> with the configured iterations.</summary>
    public async Task<string> HashAsync(string password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(password);
        using var slot = await AcquireAsync(cancellationToken).ConfigureAwait(false);
        return _hasher.HashPassword(Subject, password);
    }

    /// <summary>
    /// Checks <paramref name="password"/> against <paramref name="storedHash"/>; with no stored hash (unknown email,
    /// no password credential) it checks a fixed dummy hash and reports <see cref="PasswordVerification.Failed"/>.
    /// </summary>
    public async Task<PasswordVerification> VerifyAsync(string? storedHash, string password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(password);
        using var slot = await AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrEmpty(storedHash))
        {
            _hasher.VerifyHashedPassword(Subject, _dummyHash, password);
            return PasswordVerification.Failed;
        }

        PasswordVerificationResult result;
        try
        {
            result = _hasher.VerifyHashedPassword(Subject, storedHash, password);
        }
        catch (FormatException)
        {
            // Not base64: a corrupt stored value can never match.
            return PasswordVerification.Failed;
        }

        return result switch
        {
            PasswordVerificationResult.Success => PasswordVerification.Success,
            PasswordVerificationResult.SuccessRehashNeeded => PasswordVerification.SuccessRehashNeeded,
            _ => PasswordVerification.Failed,
        };
    }

    /// <summary>Takes one hashing slot, or throws 503 after the configured wait. Internal so tests can saturate it.</summary>
    internal async Task<IDisposable> AcquireAsync(CancellationToken cancellationToken)
    {
        if (!await _slots.WaitAsync(_maxWait, cancellationToken).ConfigureAwait(false))
        {
            throw ApiException.Unavailable("Too many password checks are in progress; retry shortly.", retryAfterSeconds: 1);
        }

        return new Slot(_slots);
    }

    public void Dispose() => _slots.Dispose();

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
