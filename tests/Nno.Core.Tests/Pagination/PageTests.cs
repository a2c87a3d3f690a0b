using System.Text.Json;
using Nno.Core.Json;
using Nno.Core.Pagination;

namespace Nno.Core.Tests.Pagination;

public sealed class PageTests
{
    private static readonly CursorCodec Codec = new(Enumerable.Repeat((byte)42, 32).ToArray());

    private sealed record Row(long CreatedAt, string Id);

    private sealed record Item(string Id);

    [Fact]
    public void FromFetched_ExtraRow_HasMoreAndCursorFromLastReturnedRow()
    {
        var rows = new[] { "a", "b", "c", "d" };
        var page = Page.FromFetched(rows, 3, row => "after:" + row);
        Assert.Equal(["a", "b", "c"], page.Data);
        Assert.True(page.Pagination.HasMore);
        Assert.Equal("after:c", page.Pagination.NextCursor);
        Assert.Null(page.Pagination.Total);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(3)]
    public void FromFetched_NoExtraRow_LastPage(int count)
    {
        var rows = Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var page = Page.FromFetched(rows, 3, _ => throw new InvalidOperationException("no cursor on the last page"), total: 7);
        Assert.Equal(rows, page.Data);
        Assert.False(page.Pagination.HasMore);
        Assert.Null(page.Pagination.NextCursor);
        Assert.Equal(7, page.Pagination.Total);
    }

    [Fact]
    public void FromFetched_MoreThanLimitPlusOne_Refused()
    {
        Assert.Throws<ArgumentException>(() => Page.FromFetched(new[] { 1, 2, 3, 4, 5 }, 3, i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Page_SerializesSpecShapeWithNulls()
    {
        var page = new Page<Item>([new Item("a")], new PaginationInfo(false, null, null));
        var json = JsonSerializer.Serialize(page, NnoJson.Options);
        Assert.Equal("""{"data":[{"id":"a"}],"pagination":{"hasMore":false,"nextCursor":null,"total":null}}""", json);
    }

    [Fact]
    public void Page_DeserializesForClients()
    {
        var json = """{"data":[{"id":"a"},{"id":"b"}],"pagination":{"hasMore":true,"nextCursor":"xyz","total":12}}""";
        var page = JsonSerializer.Deserialize<Page<Item>>(json, NnoJson.Options)!;
        Assert.Equal([new Item("a"), new Item("b")], page.Data);
        Assert.Equal(new PaginationInfo(true, "xyz", 12), page.Pagination);
    }

    [Fact]
    public void KeysetPager_WalksWholeListWithoutGapsOrDuplicates()
    {
        // Many rows share a timestamp, so the id must break ties for paging to be exact.
        var all = Enumerable.Range(0, 45).Select(i => new Row(1_000 + (i / 4), $"id{i:D3}")).ToList();
        var pager = new KeysetPager(Codec, CursorScope.For("test:rows"));

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var request = PageRequest.Create(20, cursor);
            var after = pager.After(request);
            var fetched = Query(all, after, request.FetchCount);
            var page = pager.ToPage(fetched, request, r => CursorPosition.Of(r.CreatedAt, r.Id), r => new Item(r.Id));
            seen.AddRange(page.Data.Select(i => i.Id));
            Assert.Equal(page.Pagination.HasMore, page.Pagination.NextCursor is not null);
            cursor = page.Pagination.NextCursor;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(all.Select(r => r.Id), seen);
    }

    [Fact]
    public void KeysetPager_CursorFromAnotherList_Invalid()
    {
        var platforms = new KeysetPager(Codec, CursorScope.For("registry:platforms"));
        var entities = new KeysetPager(Codec, CursorScope.For("registry:entities"));
        var page = platforms.ToPage(new[] { new Row(1, "a"), new Row(2, "b") }, PageRequest.Create(1), r => CursorPosition.Of(r.CreatedAt, r.Id));

        var problems = ValidationAssert.Throws("cursor", () => entities.After(PageRequest.Create(cursor: page.Pagination.NextCursor)));
        Assert.Equal(["is invalid"], problems);
        Assert.Equal("a", platforms.After(PageRequest.Create(cursor: page.Pagination.NextCursor))!.GetString(1));
    }

    [Fact]
    public void KeysetPager_FirstPage_HasNoPosition()
    {
        Assert.Null(new KeysetPager(Codec, "x").After(PageRequest.Default));
    }

    [Fact]
    public void KeysetPager_TotalOnlyWhenRequested()
    {
        var pager = new KeysetPager(Codec, "x");
        var rows = new[] { new Row(1, "a") };
        Assert.Equal(45, pager.ToPage(rows, PageRequest.Create(includeTotal: true), r => CursorPosition.Of(r.Id), 45).Pagination.Total);
        Assert.Null(pager.ToPage(rows, PageRequest.Default, r => CursorPosition.Of(r.Id)).Pagination.Total);
        Assert.Throws<ArgumentException>(() => pager.ToPage(rows, PageRequest.Default, r => CursorPosition.Of(r.Id), 45));
        Assert.Throws<ArgumentException>(() => pager.ToPage(rows, PageRequest.Create(includeTotal: true), r => CursorPosition.Of(r.Id)));
    }

    private static List<Row> Query(List<Row> all, CursorPosition? after, int take) =>
        all.Where(r => after is null
                || r.CreatedAt > after.GetInt64(0)
                || (r.CreatedAt == after.GetInt64(0) && string.CompareOrdinal(r.Id, after.GetString(1)) > 0))
            .OrderBy(r => r.CreatedAt).ThenBy(r => r.Id, StringComparer.Ordinal)
            .Take(take)
            .ToList();
}
