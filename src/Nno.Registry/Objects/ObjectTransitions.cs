using Nno.Core.Errors;
using Nno.Registry.Resources;

namespace Nno.Registry.Objects;

/// <summary>
/// The transition rows of registry.md §4.4 for the objects Provisioning reports on: resources, custom domains and the
/// <c>sslStatus</c> of DNS records (and custom domains). Reporting the current status again is a no-op, except on a final
/// status; anything else off the table → 409 <c>INVALID_TRANSITION</c> <c>{ currentStatus, requested, allowed }</c>.
/// </summary>
internal static class ObjectTransitions
{
    public static readonly IReadOnlyDictionary<string, string[]> Resource = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        [ResourceStatuses.Pending] = [ResourceStatuses.Provisioning, ResourceStatuses.Failed],
        [ResourceStatuses.Provisioning] = [ResourceStatuses.Active, ResourceStatuses.Failed],
        [ResourceStatuses.Active] = [ResourceStatuses.Failed, ResourceStatuses.Deleting],
        [ResourceStatuses.Failed] = [ResourceStatuses.Deleting],
        [ResourceStatuses.Deleting] = [ResourceStatuses.Deleted, ResourceStatuses.Failed],
        [ResourceStatuses.Deleted] = [],
    };

    public static readonly IReadOnlyDictionary<string, string[]> CustomDomain = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        [CustomDomainStatuses.Pending] = [CustomDomainStatuses.Active, CustomDomainStatuses.Failed],
        [CustomDomainStatuses.Active] = [CustomDomainStatuses.Removing],
        [CustomDomainStatuses.Failed] = [CustomDomainStatuses.Removing],
        [CustomDomainStatuses.Removing] = [CustomDomainStatuses.Removed],
        [CustomDomainStatuses.Removed] = [],
    };

    public static readonly IReadOnlyDictionary<string, string[]> Ssl = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        [SslStatuses.Pending] = [SslStatuses.Active, SslStatuses.Failed],
        [SslStatuses.Active] = [SslStatuses.Pending],
        [SslStatuses.Failed] = [SslStatuses.Pending],
    };

    /// <summary>True when <paramref name="to"/> is a change (false for a repeat of the current status); 409 when the table forbids it.</summary>
    public static bool Require(IReadOnlyDictionary<string, string[]> table, string from, string to, bool fromIsFinal = false)
    {
        ArgumentNullException.ThrowIfNull(table);
        var allowed = table[from];
        if (from == to && !fromIsFinal)
        {
            return false;
        }

        if (!allowed.Contains(to, StringComparer.Ordinal))
        {
            throw new ApiException(ErrorCodes.InvalidTransition,
                fromIsFinal ? $"The object is {from}, which is final." : $"Cannot move from {from} to {to}.",
                new { currentStatus = from, requested = to, allowed });
        }

        return true;
    }
}
