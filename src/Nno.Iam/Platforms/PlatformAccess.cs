using Nno.Core.Errors;
using Nno.Core.Ids;
using Nno.Iam.Access;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam.Platforms;

/// <summary>
/// The platform rules of iam.md §3 conventions: operators (and the static key) act everywhere, a service reaches only
/// the routes naming it, a user's role on a platform is the one forwarded in <c>X-Nno-Platforms</c>. A caller with no
/// membership in an object's platform gets 404 (never 403, which would reveal that the object exists); a member
/// lacking the role gets 403.
/// </summary>
internal static class PlatformAccess
{
    /// <summary>Operators, the static key and the services a route lets in: they see every platform.</summary>
    public static bool IsPrivileged(this IamCaller caller) => caller.IsOperator || caller.Kind == PrincipalKind.Service;

    /// <summary>
    /// The caller's role on <paramref name="platformId"/>; null for privileged callers. 404 naming <paramref name="resource"/>
    /// when a user has no membership there.
    /// </summary>
    public static string? RequireVisible(this IamCaller caller, string platformId, string resource)
    {
        if (caller.IsPrivileged())
        {
            return null;
        }

        return caller.RoleOn(platformId) ?? throw ApiException.NotFound(resource);
    }

    /// <summary>Privileged callers, or a platform role among <paramref name="roles"/> (404 for non-members, 403 otherwise).</summary>
    public static void RequirePlatformRole(this IamCaller caller, string platformId, string resource, params string[] roles)
    {
        var role = caller.RequireVisible(platformId, resource);
        if (role is not null && !roles.Contains(role, StringComparer.Ordinal))
        {
            throw Forbidden($"This needs the {string.Join(" or ", roles)} role on the platform.");
        }
    }

    /// <summary>A well-formed platform id from a path or body (400 naming <paramref name="field"/> otherwise).</summary>
    public static string RequirePlatformId(string? platformId, string field = "platformId") =>
        IdFormat.IsPlatformId(platformId) ? platformId! : throw ApiException.Validation(field, "must be a 10-character id of a-z and 0-9");

    public static ApiException Forbidden(string message) => new(ErrorCodes.Forbidden, message);

    /// <summary>The actor recorded in <c>added_by</c>, <c>granted_by</c>, <c>updated_by</c>: the user, else the principal's id.</summary>
    public static string ActorId(this IamCaller caller) => caller.UserId ?? caller.Principal.UserId ?? "system";

    /// <summary>Audit metadata: the caller's own (the calling service, if any) plus <paramref name="facts"/>.</summary>
    public static Dictionary<string, object?> Meta(this IamCaller caller, params (string Key, object? Value)[] facts)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var metadata = new Dictionary<string, object?>(caller.Audit("metadata").Metadata, StringComparer.Ordinal);
        foreach (var (key, value) in facts)
        {
            metadata[key] = value;
        }

        return metadata;
    }
}
