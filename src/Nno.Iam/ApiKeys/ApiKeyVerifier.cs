using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Core.Credentials;
using Nno.Core.Environments;
using Nno.Iam.Data;
using Nno.Iam.Mfa;
using Nno.Iam.Users;
using Nno.ServiceDefaults;
using Nno.ServiceDefaults.Hosting;

namespace Nno.Iam.ApiKeys;

/// <summary>
/// The gateway's API-key check (iam.md §4.6, §8): format, checksum and environment without I/O, then one unique-index
/// lookup of the hash joined to its user, then the owner's current role on the key's platform. <c>last_used_*</c> is
/// written at most once a minute per key by a conditional update. Failures are counted in
/// <c>nno_iam_apikey_verify_failures_total{reason}</c>, not audited one by one.
/// </summary>
internal sealed class ApiKeyVerifier
{
    private readonly IamDbContext _db;
    private readonly TimeProvider _time;
    private readonly OperatorMfaRule _mfa;
    private readonly ApiKeyOptions _options;
    private readonly NnoEnvironment _environment;
    private readonly ApiKeyMetrics _metrics;

    public ApiKeyVerifier(IamDbContext db, TimeProvider time, OperatorMfaRule mfa, IOptions<ApiKeyOptions> options, IOptions<NnoOptions> nno, ApiKeyMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(nno);
        _db = db;
        _time = time;
        _mfa = mfa;
        _options = options.Value;
        _environment = EnvironmentNames.Parse(nno.Value.Environment);
        _metrics = metrics;
    }

    public async Task<VerifyApiKeyResponse> VerifyAsync(string key, string? clientIp, CancellationToken cancellationToken)
    {
        var check = ApiKeyFormat.Validate(key, _environment);
        if (check != ApiKeyCheck.Ok)
        {
            return Fail(check switch
            {
                ApiKeyCheck.BadChecksum => ApiKeyFailureReasons.BadChecksum,
                ApiKeyCheck.WrongEnvironment => ApiKeyFailureReasons.WrongEnvironment,
                _ => ApiKeyFailureReasons.Malformed,
            });
        }

        var hash = ApiKeyFormat.Hash(key);
        var found = await (
            from k in _db.ApiKeys
            join u in _db.Users on k.UserId equals u.Id
            where k.KeyHash == hash
            select new
            {
                Key = k,
                u.Role,
                u.DisabledAt,
                PlatformRole = _db.PlatformMembers.Where(m => m.PlatformId == k.PlatformId && m.UserId == k.UserId).Select(m => m.Role).FirstOrDefault(),
            })
            .AsNoTracking()
            .FirstOrDefaultAsync(cancellationToken);

        // The index lookup matched on the hash; the constant-time compare keeps the final decision free of timing leaks.
        if (found is null || !ApiKeyFormat.HashEquals(found.Key.KeyHash, hash))
        {
            return Fail(ApiKeyFailureReasons.Unknown);
        }

        var record = found.Key;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (record.RevokedAt is not null)
        {
            return Fail(ApiKeyFailureReasons.Revoked);
        }

        if (record.ExpiresAt <= now)
        {
            return Fail(ApiKeyFailureReasons.Expired);
        }

        if (found.DisabledAt is not null)
        {
            return Fail(ApiKeyFailureReasons.UserDisabled);
        }

        // A non-operator's key works only while its owner still administers the key's platform.
        if (found.Role != UserRoles.PlatformAdmin && found.PlatformRole is not ("owner" or "admin"))
        {
            return Fail(ApiKeyFailureReasons.OwnerLostAccess);
        }

        await TouchAsync(record, clientIp, now, cancellationToken);
        var (role, _) = _mfa.EffectiveRole(found.Role, record.MfaVerified);
        return new VerifyApiKeyResponse(
            true,
            null,
            record.Id,
            record.UserId,
            role,
            record.PlatformId ?? string.Empty,
            found.PlatformRole ?? string.Empty,
            ApiKeyView.ScopesOf(record),
            DateTimeOffset.FromUnixTimeMilliseconds(record.ExpiresAt));
    }

    private async Task TouchAsync(ApiKeyRecord record, string? clientIp, long now, CancellationToken cancellationToken)
    {
        var due = now - (long)_options.LastUsedInterval.TotalMilliseconds;
        if (record.LastUsedAt is { } last && last > due)
        {
            return;
        }

        // Conditional: of concurrent verifications within the interval only one writes.
        var ip = clientIp is { Length: > 64 } ? clientIp[..64] : clientIp;
        await _db.ApiKeys.Where(k => k.Id == record.Id && (k.LastUsedAt == null || k.LastUsedAt <= due))
            .ExecuteUpdateAsync(u => u.SetProperty(k => k.LastUsedAt, now).SetProperty(k => k.LastUsedIp, ip), cancellationToken);
    }

    private VerifyApiKeyResponse Fail(string reason)
    {
        _metrics.Failure(reason);
        return VerifyApiKeyResponse.Invalid(reason);
    }
}

/// <summary>API-key metrics on the <c>Nno</c> meter.</summary>
internal sealed class ApiKeyMetrics
{
    private readonly Counter<long> _failures;

    public ApiKeyMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _failures = meters.Create(NnoServiceDefaults.TelemetryName)
            .CreateCounter<long>("nno_iam_apikey_verify_failures_total", description: "API-key verifications that answered valid:false, by reason.");
    }

    public void Failure(string reason) => _failures.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
