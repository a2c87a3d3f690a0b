using System.Linq.Expressions;
using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Nno.Core.Errors;
using Nno.Core.Pagination;
using Nno.Registry.Paging;

namespace Nno.Registry.Objects;

/// <summary>
/// The one keyset list of every platform object (registry.md §3.3, §8): <c>WHERE platform_id = @pid [filters] AND
/// (created_at, id) &gt; cursor ORDER BY created_at, id LIMIT limit + 1</c>, on the <c>(platform_id, created_at, id)</c> index
/// each object table has; <c>total</c> is a COUNT of the same filtered query, only with <c>includeTotal=true</c>. The
/// cursor is bound to the list, the platform and every filter as given, so reusing it elsewhere is a 400.
/// </summary>
internal static class ObjectLists
{
    private static readonly MethodInfo StringCompare = typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!;

    /// <summary>One page of <paramref name="rows"/> (already filtered by platform and filters), mapped by <paramref name="map"/>.</summary>
    public static async Task<Page<TItem>> PageAsync<TRow, TItem>(
        HttpContext context, RegistryCursors cursors, string list, string platformId, (string Name, string? Value)[] filters,
        IQueryable<TRow> rows, Func<TRow, long> createdAtOf, Func<TRow, string> idOf, Func<TRow, TItem> map, CancellationToken cancellationToken)
        where TRow : class
    {
        var page = RegistryCursors.Request(context.Request);
        var pager = cursors.Pager(list, [("platformId", platformId), .. filters]);
        int? total = page.IncludeTotal ? await rows.CountAsync(cancellationToken) : null;
        if (pager.After(page) is { } after)
        {
            var position = new Position(after.Expect(2).GetInt64(0), after.GetString(1));
            rows = rows.Where(After<TRow>(position));
        }

        var fetched = await OrderByKey(rows).Take(page.FetchCount).ToListAsync(cancellationToken);
        return pager.ToPage(fetched, page, r => CursorPosition.Of(createdAtOf(r), idOf(r)), map, total);
    }

    /// <summary>Throws one 400 naming every bad filter, when there is any.</summary>
    public static void ThrowIfAny(Dictionary<string, string[]> problems)
    {
        if (problems.Count > 0)
        {
            throw ApiException.Validation(problems);
        }
    }

    /// <summary>Adds a problem when <paramref name="value"/> is given and not one of <paramref name="allowed"/>.</summary>
    public static void CheckEnum(Dictionary<string, string[]> problems, string field, string? value, IReadOnlyList<string> allowed)
    {
        if (value is not null && !allowed.Contains(value, StringComparer.Ordinal))
        {
            problems[field] = ["must be one of " + string.Join(", ", allowed)];
        }
    }

    /// <summary>Adds a problem when <paramref name="value"/> is given and <paramref name="isValid"/> refuses it.</summary>
    public static void Check(Dictionary<string, string[]> problems, string field, string? value, Func<string, bool> isValid, string problem)
    {
        if (value is not null && !isValid(value))
        {
            problems[field] = [problem];
        }
    }

    private static IOrderedQueryable<TRow> OrderByKey<TRow>(IQueryable<TRow> rows)
    {
        var row = Expression.Parameter(typeof(TRow), "r");
        var createdAt = Expression.Lambda<Func<TRow, long>>(Expression.Property(row, "CreatedAt"), row);
        var id = Expression.Lambda<Func<TRow, string>>(Expression.Property(row, "Id"), row);
        return rows.OrderBy(createdAt).ThenBy(id);
    }

    /// <summary><c>created_at &gt; @c OR (created_at = @c AND id &gt; @id)</c>, with the position as query parameters.</summary>
    private static Expression<Func<TRow, bool>> After<TRow>(Position position)
    {
        var row = Expression.Parameter(typeof(TRow), "r");
        var holder = Expression.Constant(position);
        var createdAt = Expression.Property(row, "CreatedAt");
        var id = Expression.Property(row, "Id");
        var c = Expression.Property(holder, nameof(Position.CreatedAt));
        var i = Expression.Property(holder, nameof(Position.Id));
        var body = Expression.OrElse(
            Expression.GreaterThan(createdAt, c),
            Expression.AndAlso(Expression.Equal(createdAt, c), Expression.GreaterThan(Expression.Call(StringCompare, id, i), Expression.Constant(0))));
        return Expression.Lambda<Func<TRow, bool>>(body, row);
    }

    /// <summary>A cursor position; a class so EF reads its members as query parameters.</summary>
    private sealed class Position(long createdAt, string id)
    {
        public long CreatedAt { get; } = createdAt;

        public string Id { get; } = id;
    }
}
