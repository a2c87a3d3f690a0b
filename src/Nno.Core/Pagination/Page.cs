namespace Nno.Core.Pagination;

/// <summary>One page of a list: <c>{"data":[…],"pagination":{"hasMore","nextCursor","total"}}</c> (00-system §7).</summary>
public sealed record Page<T>(IReadOnlyList<T> Data, PaginationInfo Pagination);

/// <summary>
/// The paging facts of a <see cref="Page{T}"/>: whether more rows follow, the cursor that fetches them (null on the last
/// page), and the total row count (null unless the request asked for it).
/// </summary>
public sealed record PaginationInfo(bool HasMore, string? NextCursor, int? Total);

/// <summary>Builds pages from keyset queries that fetched <c>limit + 1</c> rows.</summary>
public static class Page
{
    /// <summary>
    /// Turns the rows of a keyset query (ordered, at most <paramref name="limit"/> + 1) into a page: the first
    /// <paramref name="limit"/> rows, <c>hasMore</c> when the extra row was found, and <c>nextCursor</c> made from the
    /// last returned row.
    /// </summary>
    public static Page<TItem> FromFetched<TRow, TItem>(
        IReadOnlyList<TRow> fetched, int limit, Func<TRow, string> cursorOf, Func<TRow, TItem> map, int? total = null)
    {
        ArgumentNullException.ThrowIfNull(fetched);
        ArgumentNullException.ThrowIfNull(cursorOf);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, PageRequest.MinLimit);
        if (fetched.Count > limit + 1)
        {
            // More would mean rows silently skipped between pages.
            throw new ArgumentException($"Fetch exactly limit + 1 rows at most; got {fetched.Count} for limit {limit}.", nameof(fetched));
        }

        var hasMore = fetched.Count > limit;
        var count = hasMore ? limit : fetched.Count;
        var data = new TItem[count];
        for (var i = 0; i < count; i++)
        {
            data[i] = map(fetched[i]);
        }

        var nextCursor = hasMore ? cursorOf(fetched[count - 1]) : null;
        return new Page<TItem>(data, new PaginationInfo(hasMore, nextCursor, total));
    }

    /// <summary><see cref="FromFetched{TRow, TItem}"/> for rows that are already the response items.</summary>
    public static Page<T> FromFetched<T>(IReadOnlyList<T> fetched, int limit, Func<T, string> cursorOf, int? total = null) =>
        FromFetched(fetched, limit, cursorOf, static row => row, total);
}
