using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Iam.ApiKeys;
using Nno.Iam.Data;
using Nno.Iam.Mfa;
using Nno.Iam.Permissions;
using Nno.Iam.Users;

namespace Nno.Iam.Sessions;

/// <summary>One platform membership as the enriched session lists it (and the gateway forwards as <c>X-Nno-Platforms</c>).</summary>
internal sealed record PlatformRoleView(string PlatformId, string Role);

/// <summary>The active organization of a session with the caller's tenant role in it (null when not a member).</summary>
internal sealed record ActiveOrganizationView(string Id, string Name, string Slug, string OrgType, string PlatformId, string? Role);

/// <summary>The API key of a <c>K</c> principal, without its secret.</summary>
internal sealed record ApiKeySummary(string Id, string Name, string DisplayPrefix, IReadOnlyList<string> Scopes, DateTimeOffset ExpiresAt);

/// <summary>
/// The enriched session of iam.md §3.3: what the gateway caches and forwards as identity headers. <c>PlatformId</c>
/// and <c>PlatformRole</c> are empty strings when there is no active platform.
/// </summary>
internal sealed record EnrichedSession(
    UserView User,
    SessionView? Session,
    ApiKeySummary? ApiKey,
    string Role,
    bool MfaRequired,
    string PlatformId,
    string PlatformRole,
    IReadOnlyList<PlatformRoleView> Platforms,
    ActiveOrganizationView? Organization,
    IReadOnlyList<string> Permissions);

/// <summary>
/// Builds enriched sessions (iam.md §3.3, §4.2, §4.7): one query for the user's platform memberships (≤ 100 rows, which
/// also yields <c>platforms</c>), one for the active organization with the caller's tenant role and its mapping, and one for unexpired grants. No N+1.
/// </summary>
internal sealed class EnrichedSessionBuilder(IamDbContext db, IOptions<IamOptions> iam, OperatorMfaRule mfa, EffectivePermissions permissions)
{
    public async Task<EnrichedSession> ForSessionAsync(ValidSession valid, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(valid);
        var (session, user) = (valid.Session, valid.User);
        var (role, mfaRequired) = mfa.EffectiveRole(user.Role, session.MfaVerified);
        var isOperator = role == UserRoles.PlatformAdmin;
        var memberships = await MembershipsAsync(user.Id, cancellationToken);
        var platforms = memberships.Select(m => new PlatformRoleView(m.PlatformId, m.Role)).OrderBy(p => p.PlatformId, StringComparer.Ordinal).ToList();
        var roles = platforms.ToDictionary(p => p.PlatformId, p => p.Role, StringComparer.Ordinal);

        // iam.md §4.2: the chosen platform while still valid, else the earliest membership (never the operator platform).
        var platformId = session.ActivePlatformId is { } active && (isOperator || roles.ContainsKey(active)) ? active
            : memberships.Count > 0 ? memberships[0].PlatformId
            : string.Empty;

        ActiveOrganizationView? organization = null;
        IReadOnlyList<string> effective = isOperator ? EffectivePermissions.All : [];
        if (session.ActiveOrganizationId is { } organizationId)
        {
            // The organization, the caller's tenant role in it and that role's mapping in one query (LEFT JOINs).
            var found = await (
                from o in db.Organizations
                where o.Id == organizationId && o.DeletedAt == null
                join m in db.Members.Where(m => m.UserId == user.Id) on o.Id equals m.OrganizationId into ms
                from m in ms.DefaultIfEmpty()
                join r in db.RolePermissions on new { OrganizationId = o.Id, Role = m == null ? string.Empty : m.Role } equals new { r.OrganizationId, r.Role } into rs
                from r in rs.DefaultIfEmpty()
                select new { o.Id, o.Name, o.Slug, o.OrgType, o.PlatformId, MemberRole = m == null ? null : m.Role, Mapping = r == null ? null : r.Permissions })
                .AsNoTracking()
                .FirstOrDefaultAsync(cancellationToken);
            var platformRoleThere = found is null ? null : roles.GetValueOrDefault(found.PlatformId);
            if (found is not null && (isOperator || found.MemberRole is not null || platformRoleThere is "owner" or "admin"))
            {
                organization = new ActiveOrganizationView(found.Id, found.Name, found.Slug, found.OrgType, found.PlatformId, found.MemberRole);
                effective = isOperator || platformRoleThere is "owner" or "admin" ? EffectivePermissions.All
                    : await permissions.ForMemberAsync(found.Mapping, user.Id, found.Id, cancellationToken);
            }
        }

        return new EnrichedSession(
            UserView.From(user, valid.TwoFactorEnabled),
            SessionView.From(session),
            ApiKey: null,
            role,
            mfaRequired,
            platformId,
            roles.GetValueOrDefault(platformId) ?? string.Empty,
            platforms,
            organization,
            effective);
    }

    /// <summary>The enriched session of an API-key principal: only the key's platform, no organization (iam.md §3.3).</summary>
    public async Task<EnrichedSession> ForApiKeyAsync(ApiKeyRecord key, UserRecord user, bool twoFactorEnabled, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(user);
        var (role, mfaRequired) = mfa.EffectiveRole(user.Role, key.MfaVerified);
        string? platformRole = null;
        if (key.PlatformId is { } platformId)
        {
            platformRole = await db.PlatformMembers.AsNoTracking().Where(m => m.PlatformId == platformId && m.UserId == user.Id).Select(m => m.Role).FirstOrDefaultAsync(cancellationToken);
        }

        var scopes = JsonSerializer.Deserialize<List<string>>(key.Scopes) ?? [];
        return new EnrichedSession(
            UserView.From(user, twoFactorEnabled),
            Session: null,
            new ApiKeySummary(key.Id, key.Name, key.DisplayPrefix, scopes, DateTimeOffset.FromUnixTimeMilliseconds(key.ExpiresAt)),
            role,
            mfaRequired,
            key.PlatformId ?? string.Empty,
            platformRole ?? string.Empty,
            key.PlatformId is not null && platformRole is not null ? [new PlatformRoleView(key.PlatformId, platformRole)] : [],
            Organization: null,
            role == UserRoles.PlatformAdmin ? EffectivePermissions.All : []);
    }

    /// <summary>The user's platform memberships, earliest first, without the operator platform.</summary>
    private async Task<List<PlatformRoleView>> MembershipsAsync(string userId, CancellationToken cancellationToken)
    {
        var operatorPlatform = iam.Value.OperatorPlatformId;
        var rows = await db.PlatformMembers.AsNoTracking()
            .Where(m => m.UserId == userId && m.PlatformId != operatorPlatform)
            .OrderBy(m => m.CreatedAt).ThenBy(m => m.PlatformId)
            .Select(m => new PlatformRoleView(m.PlatformId, m.Role))
            .ToListAsync(cancellationToken);
        return rows;
    }
}
