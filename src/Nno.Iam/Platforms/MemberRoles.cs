using Nno.Core.Errors;

namespace Nno.Iam.Platforms;

/// <summary>The roles of platform and tenant memberships (<c>owner</c> | <c>admin</c> | <c>member</c>, iam.md §2).</summary>
internal static class MemberRoles
{
    public const string Owner = "owner";
    public const string Admin = "admin";
    public const string Member = "member";

    public static bool IsValid(string? role) => role is Owner or Admin or Member;

    /// <summary>The role, or 400 naming <paramref name="field"/>.</summary>
    public static string Require(string? role, string field = "role") =>
        IsValid(role) ? role! : throw ApiException.Validation(field, "must be one of owner, admin, member");

    /// <summary>Higher is stronger: member 1, admin 2, owner 3 (0 for none).</summary>
    public static int Rank(string? role) => role switch
    {
        Owner => 3,
        Admin => 2,
        Member => 1,
        _ => 0,
    };

    public static bool IsOwnerOrAdmin(string? role) => role is Owner or Admin;
}
