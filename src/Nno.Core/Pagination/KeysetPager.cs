namespace Nno.Core.Pagination;

/// <summary>
/// Keyset paging for one list, so every service pages the same way: decode the request's cursor with
/// <see cref="After"/>, query <c>WHERE (sort key) &gt; position ORDER BY sort key LIMIT request.FetchCount</c>, then
/// build the response with <see cref="ToPage{TRow, TItem}"/>.
/// </summary>
/// <param name="codec">The service's cursor codec.</param>
/// <param name="scope">The list and its filters, from <see cref="CursorScope.For"/>.</param>
public sealed class KeysetPager(CursorCodec codec, string scope)
{
    private readonly CursorCodec _codec = codec ?? throw new ArgumentNullException(nameof(codec));
    private readonly string _scope = scope ?? throw new ArgumentNullException(nameof(scope));

    /// <summary>The position the page starts after, or null for the first page; a bad cursor is a 400 naming <c>cursor</c>.</summary>
    public CursorPosition? After(PageRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Cursor is null ? null : _codec.Decode(_scope, request.Cursor);
    }

    /// <summary>
    /// The page for rows fetched with <see cref="PageRequest.FetchCount"/>. <paramref name="total"/> must be given exactly
    /// when the request asked for it (<see cref="PageRequest.IncludeTotal"/>).
    /// </summary>
    public Page<TItem> ToPage<TRow, TItem>(
        IReadOnlyList<TRow> fetched, PageRequest request, Func<TRow, CursorPosition> positionOf, Func<TRow, TItem> map, int? total = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(positionOf);
        if (request.IncludeTotal != total.HasValue)
        {
            throw new ArgumentException(
                request.IncludeTotal ? "The request asked for the total; count it." : "The request did not ask for the total; pass null.",
                nameof(total));
        }

        return Page.FromFetched(fetched, request.Limit, row => _codec.Encode(_scope, positionOf(row)), map, total);
    }

    /// <summary><see cref="ToPage{TRow, TItem}"/> for rows that are already the response items.</summary>
    public Page<T> ToPage<T>(IReadOnlyList<T> fetched, PageRequest request, Func<T, CursorPosition> positionOf, int? total = null) =>
        ToPage(fetched, request, positionOf, static row => row, total);
}
