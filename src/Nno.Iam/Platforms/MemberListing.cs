using Microsoft.EntityFrameworkCore;
using Nno.Core.Pagination;
using Nno.Iam.Data;

namespace Nno.Iam.Platforms;

/// <summary>One row of a platform or tenant member list; <c>email</c> is null for callers who may not see it (iam.md §6).</summary>
internal sealed record MemberItem(string UserId, string? Email, string Name, string Role, DateTimeOffset CreatedAt);

/// <summary>A membership reduced to what a member list shows (platform and tenant memberships project to it).</summary>
internal sealed class MembershipRow
{
    public required string UserId { get; init; }

    public required string Role { get; init; }

    public long CreatedAt { get; init; }
}

/// <summary>
/// The member lists of platforms and tenants (iam.md §3.3, §3.4): keyset pages ordered by user id, which the unique
/// (scope, user_id) keys serve directly and which inserts never shift; each page joined to <c>users</c> once.
/// </summary>
internal static class MemberListing
{
    public static async Task<Page<MemberItem>> PageAsync(
        IQueryable<MembershipRow> members, IamDbContext db, KeysetPager pager, PageRequest request, bool showEmail, CancellationToken cancellationToken)
    {
        var page = members;
        if (pager.After(request) is { } after)
        {
            var userId = after.Expect(1).GetString(0);
            page = page.Where(m => string.Compare(m.UserId, userId) > 0);
        }

        var fetched = await (
            from m in page
            join u in db.Users on m.UserId equals u.Id
            orderby m.UserId
            select new { m.UserId, u.Email, u.Name, m.Role, m.CreatedAt })
            .Take(request.FetchCount).ToListAsync(cancellationToken);
        int? total = request.IncludeTotal ? await members.CountAsync(cancellationToken) : null;
        return pager.ToPage(fetched, request, m => CursorPosition.Of(m.UserId),
            m => new MemberItem(m.UserId, showEmail ? m.Email : null, m.Name, m.Role, DateTimeOffset.FromUnixTimeMilliseconds(m.CreatedAt)), total);
    }
}
