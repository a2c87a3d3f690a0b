namespace Nno.Core.Pagination;

/// <summary>The kind of one <see cref="CursorValue"/>.</summary>
public enum CursorValueKind
{
    /// <summary>A 64-bit integer.</summary>
    Number,

    /// <summary>A string.</summary>
    Text,
}

/// <summary>One sort-key value carried in a cursor: a 64-bit integer (timestamps are Unix milliseconds) or a string (ids, names, versions).</summary>
public readonly record struct CursorValue
{
    private readonly long _number;
    private readonly string? _text;

    private CursorValue(CursorValueKind kind, long number, string? text)
    {
        Kind = kind;
        _number = number;
        _text = text;
    }

    /// <summary>Whether the value is an integer or a string.</summary>
    public CursorValueKind Kind { get; }

    /// <summary>An integer value.</summary>
    public static CursorValue FromInt64(long value) => new(CursorValueKind.Number, value, null);

    /// <summary>A string value.</summary>
    public static CursorValue FromString(string value) =>
        new(CursorValueKind.Text, 0, value ?? throw new ArgumentNullException(nameof(value)));

    public static implicit operator CursorValue(long value) => FromInt64(value);

    public static implicit operator CursorValue(string value) => FromString(value);

    /// <summary>The integer; a cursor whose value has another kind is invalid (400 naming <c>cursor</c>).</summary>
    public long AsInt64() => Kind == CursorValueKind.Number ? _number : throw CursorCodec.Invalid();

    /// <summary>The string; a cursor whose value has another kind is invalid (400 naming <c>cursor</c>).</summary>
    public string AsString() => Kind == CursorValueKind.Text ? _text! : throw CursorCodec.Invalid();

    /// <summary>A readable form for diagnostics (not the wire form).</summary>
    public override string ToString() =>
        Kind == CursorValueKind.Number ? _number.ToString(System.Globalization.CultureInfo.InvariantCulture) : "\"" + _text + "\"";
}

/// <summary>
/// A position in a keyset-ordered list: the sort-key values of the last row a page returned, e.g.
/// <c>CursorPosition.Of(row.CreatedAt, row.Id)</c>. The next page starts strictly after it.
/// </summary>
public sealed class CursorPosition
{
    /// <summary>Most values a position may carry (a sort key is rarely more than two or three columns).</summary>
    public const int MaxValues = 8;

    private readonly CursorValue[] _values;

    private CursorPosition(CursorValue[] values) => _values = values;

    /// <summary>The values, in sort-key order.</summary>
    public IReadOnlyList<CursorValue> Values => _values;

    /// <summary>A position from 1–8 sort-key values.</summary>
    public static CursorPosition Of(params ReadOnlySpan<CursorValue> values)
    {
        if (values.Length is 0 or > MaxValues)
        {
            throw new ArgumentException($"A cursor position has 1–{MaxValues} values.", nameof(values));
        }

        return new CursorPosition(values.ToArray());
    }

    /// <summary>The integer at <paramref name="index"/>; a cursor of another shape is invalid (400 naming <c>cursor</c>).</summary>
    public long GetInt64(int index) => At(index).AsInt64();

    /// <summary>The string at <paramref name="index"/>; a cursor of another shape is invalid (400 naming <c>cursor</c>).</summary>
    public string GetString(int index) => At(index).AsString();

    /// <summary>Throws 400 unless the position has exactly <paramref name="count"/> values (a cursor from another sort order).</summary>
    public CursorPosition Expect(int count) => _values.Length == count ? this : throw CursorCodec.Invalid();

    private CursorValue At(int index) => (uint)index < (uint)_values.Length ? _values[index] : throw CursorCodec.Invalid();
}
