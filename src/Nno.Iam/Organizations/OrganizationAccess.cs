using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Iam.Access;
using Nno.Iam.Data;
using Nno.Iam.Platforms;

namespace Nno.Iam.Organizations;

/// <summary>
/// A live organization as one caller sees it: the caller's platform role there (null for operators and services) and
/// tenant role in it (null when not a member).
/// </summary>
internal sealed record OrganizationContext(OrganizationRecord Organization, bool Privileged, string? PlatformRole, string? TenantRole)
{
    /// <summary>Operators, services and the platform's owners and admins manage every tenant of the platform.</summary>
    public bool ManagesPlatform => Privileged || MemberRoles.IsOwnerOrAdmin(PlatformRole);

    /// <summary>Platform managers, or a tenant role among <paramref name="tenantRoles"/>; else 403.</summary>
    public OrganizationContext Require(params string[] tenantRoles)
    {
        if (ManagesPlatform || (TenantRole is not null && tenantRoles.Contains(TenantRole, StringComparer.Ordinal)))
        {
            return this;
        }

        throw PlatformAccess.Forbidden(tenantRoles.Length == 0
            ? "This needs the owner or admin role on the platform."
            : $"This needs the {string.Join(" or ", tenantRoles)} role in the organization, or the owner or admin role on the platform.");
    }

    /// <summary>
    /// Changing or removing a tenant membership (iam.md §3.4): platform managers and tenant owners any; tenant admins only
    /// members and admins, and only to member or admin (§6: tenant admins cannot assign <c>owner</c>).
    /// </summary>
    public void RequireManageMember(string targetRole, string? newRole)
    {
        if (ManagesPlatform || TenantRole == MemberRoles.Owner)
        {
            return;
        }

        if (TenantRole == MemberRoles.Admin)
        {
            if (targetRole != MemberRoles.Owner && newRole != MemberRoles.Owner)
            {
                return;
            }

            throw PlatformAccess.Forbidden("Tenant admins cannot create, change or remove owners.");
        }

        throw PlatformAccess.Forbidden("This needs the owner or admin role in the organization.");
    }
}

/// <summary>Loads organizations with the caller's roles, answering 404 for organizations of platforms the caller is not on.</summary>
internal sealed class OrganizationAccess(IamDbContext db)
{
    /// <summary>The live organization <paramref name="organizationId"/>; 404 <c>organization</c> when unknown, deleted or on a platform the caller is not a member of.</summary>
    public async Task<OrganizationContext> LoadAsync(IamCaller caller, string? organizationId, CancellationToken cancellationToken, string resource = "organization")
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (string.IsNullOrEmpty(organizationId) || organizationId.Length > 64)
        {
            throw ApiException.NotFound(resource);
        }

        var organization = await db.Organizations.FirstOrDefaultAsync(o => o.Id == organizationId && o.DeletedAt == null, cancellationToken)
            ?? throw ApiException.NotFound(resource);
        var privileged = caller.IsPrivileged();
        var platformRole = privileged ? null : caller.RoleOn(organization.PlatformId) ?? throw ApiException.NotFound(resource);
        var userId = caller.UserId;
        var tenantRole = userId is null ? null
            : await db.Members.Where(m => m.OrganizationId == organization.Id && m.UserId == userId).Select(m => m.Role).FirstOrDefaultAsync(cancellationToken);
        return new OrganizationContext(organization, privileged, platformRole, tenantRole);
    }

    /// <summary>409 <c>last_owner</c> unless the organization has an owner other than <paramref name="userId"/>.</summary>
    public async Task RequireAnotherOwnerAsync(string organizationId, string userId, CancellationToken cancellationToken)
    {
        if (!await db.Members.AnyAsync(m => m.OrganizationId == organizationId && m.Role == MemberRoles.Owner && m.UserId != userId, cancellationToken))
        {
            throw new ApiException(ErrorCodes.Conflict, "An organization must keep at least one owner.", new { reason = "last_owner", organizationId });
        }
    }
}
