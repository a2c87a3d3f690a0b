using System.Globalization;
using Nno.Core.Errors;

namespace Nno.Core.Pagination;

/// <summary>
/// The paging part of a list request (00-system §7): <c>limit</c> 1–100 (default 20), <c>cursor</c> (absent or empty =
/// first page) and <c>includeTotal</c> (default false; counting is not free, so <c>total</c> is opt-in).
/// </summary>
public sealed record PageRequest
{
    /// <summary>Page size when the request gives none.</summary>
    public const int DefaultLimit = 20;

    /// <summary>Smallest page size.</summary>
    public const int MinLimit = 1;

    /// <summary>Largest page size.</summary>
    public const int MaxLimit = 100;

    private const string LimitProblem = "must be an integer from 1 to 100";

    private PageRequest(int limit, string? cursor, bool includeTotal)
    {
        Limit = limit;
        Cursor = cursor;
        IncludeTotal = includeTotal;
    }

    /// <summary>The first page with the default limit and no total.</summary>
    public static PageRequest Default { get; } = new(DefaultLimit, null, false);

    /// <summary>Rows to return.</summary>
    public int Limit { get; }

    /// <summary>The opaque cursor of the previous page's last row; null for the first page.</summary>
    public string? Cursor { get; }

    /// <summary>Whether the response carries <c>pagination.total</c>.</summary>
    public bool IncludeTotal { get; }

    /// <summary>Rows to fetch: one more than <see cref="Limit"/>, so the extra row tells whether there is a next page.</summary>
    public int FetchCount => Limit + 1;

    /// <summary>A request from already-typed values; a limit outside 1–100 is a 400 <c>VALIDATION_ERROR</c> naming <c>limit</c>.</summary>
    public static PageRequest Create(int? limit = null, string? cursor = null, bool includeTotal = false)
    {
        var value = limit ?? DefaultLimit;
        return value is >= MinLimit and <= MaxLimit
            ? new PageRequest(value, string.IsNullOrEmpty(cursor) ? null : cursor, includeTotal)
            : throw ApiException.Validation("limit", LimitProblem);
    }

    /// <summary>
    /// A request from raw query-string values. <c>limit</c> must be plain decimal digits within 1–100 and
    /// <c>includeTotal</c> exactly <c>true</c> or <c>false</c>; every bad field is named in one 400 <c>VALIDATION_ERROR</c>.
    /// </summary>
    public static PageRequest Parse(string? limit, string? cursor, string? includeTotal)
    {
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);

        var limitValue = DefaultLimit;
        if (limit is not null
            && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out limitValue) || limitValue is < MinLimit or > MaxLimit))
        {
            problems["limit"] = [LimitProblem];
        }

        var total = false;
        switch (includeTotal)
        {
            case null or "false":
                break;
            case "true":
                total = true;
                break;
            default:
                problems["includeTotal"] = ["must be true or false"];
                break;
        }

        return problems.Count == 0
            ? new PageRequest(limitValue, string.IsNullOrEmpty(cursor) ? null : cursor, total)
            : throw ApiException.Validation(problems);
    }
}
