using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Nno.Core.Errors;
using Nno.Core.Pagination;

namespace Nno.Core.Tests.Pagination;

public sealed class CursorCodecTests
{
    private const string Scope = "registry:platforms";
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private readonly CursorCodec _codec = new(Key);

    [Fact]
    public void Encode_Decode_RoundTripsValues()
    {
        var position = CursorPosition.Of(1_767_323_045_678L, "k3m9p2xw7q");
        var cursor = _codec.Encode(Scope, position);

        var decoded = _codec.Decode(Scope, cursor);
        Assert.Equal(1_767_323_045_678L, decoded.GetInt64(0));
        Assert.Equal("k3m9p2xw7q", decoded.GetString(1));
        Assert.Equal(position.Values, decoded.Values);
    }

    [Fact]
    public void Encode_Decode_RoundTripsEdgeValues()
    {
        var position = CursorPosition.Of(long.MinValue, long.MaxValue, 0L, -1L, "", "ünïcødé 東京 🚀", "1.0.0-beta.2");
        var decoded = _codec.Decode(Scope, _codec.Encode(Scope, position));
        Assert.Equal(position.Values, decoded.Values);
    }

    [Fact]
    public void Encode_IsUrlSafeAndShort()
    {
        var cursor = _codec.Encode(Scope, CursorPosition.Of(1_767_323_045_678L, "k3m9p2xw7q"));
        Assert.Matches("^[A-Za-z0-9_-]+$", cursor);
        Assert.True(cursor.Length <= 52, $"cursor is {cursor.Length} characters");

        var prefixed = _codec.Encode(Scope, CursorPosition.Of(1_767_323_045_678L, "usr_abcdefghij0123456789"));
        Assert.True(prefixed.Length <= 72, $"cursor is {prefixed.Length} characters");
        Assert.DoesNotContain("usr_", prefixed, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_OtherScope_Invalid()
    {
        var cursor = _codec.Encode(Scope, CursorPosition.Of(1L, "a"));
        AssertInvalid(() => _codec.Decode("registry:entities", cursor));
        AssertInvalid(() => _codec.Decode(CursorScope.For(Scope, ("status", "active")), cursor));
        Assert.False(_codec.TryDecode("registry:entities", cursor, out _));
    }

    [Fact]
    public void Decode_OtherKey_Invalid()
    {
        var cursor = _codec.Encode(Scope, CursorPosition.Of(1L, "a"));
        var other = new CursorCodec(Enumerable.Repeat((byte)7, 32).ToArray());
        AssertInvalid(() => other.Decode(Scope, cursor));
    }

    [Fact]
    public void Decode_AnySingleCharacterChanged_Invalid()
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var cursor = _codec.Encode(Scope, CursorPosition.Of(1_767_323_045_678L, "k3m9p2xw7q"));
        for (var i = 0; i < cursor.Length; i++)
        {
            foreach (var replacement in alphabet)
            {
                if (replacement == cursor[i])
                {
                    continue;
                }

                var tampered = string.Concat(cursor.AsSpan(0, i), replacement.ToString(), cursor.AsSpan(i + 1));
                Assert.False(_codec.TryDecode(Scope, tampered, out _), $"changing position {i} to '{replacement}' was accepted");
            }
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("A")]
    [InlineData("AAAA")]
    [InlineData("not a cursor")]
    [InlineData("%%%%")]
    [InlineData("eyJpZCI6MX0")]
    public void Decode_Garbage_Invalid(string cursor)
    {
        AssertInvalid(() => _codec.Decode(Scope, cursor));
    }

    [Fact]
    public void Decode_Null_Invalid()
    {
        AssertInvalid(() => _codec.Decode(Scope, null));
    }

    [Fact]
    public void Decode_NonCanonicalSpellings_Invalid()
    {
        var cursor = _codec.Encode(Scope, CursorPosition.Of(42L, "abc"));
        Assert.True(_codec.TryDecode(Scope, cursor, out _));
        var padded = cursor + new string('=', (4 - (cursor.Length % 4)) % 4);
        var standardAlphabet = Convert.ToBase64String(Base64Url.DecodeFromChars(cursor));

        Assert.False(_codec.TryDecode(Scope, padded + "=", out _));
        Assert.False(_codec.TryDecode(Scope, " " + cursor, out _));
        Assert.False(_codec.TryDecode(Scope, cursor + "\n", out _));
        Assert.False(_codec.TryDecode(Scope, cursor[..^1], out _));
        Assert.False(_codec.TryDecode(Scope, cursor + "A", out _));
        if (standardAlphabet.TrimEnd('=') != cursor)
        {
            Assert.False(_codec.TryDecode(Scope, standardAlphabet, out _));
        }
    }

    [Fact]
    public void Decode_TooLong_InvalidWithoutWork()
    {
        AssertInvalid(() => _codec.Decode(Scope, new string('A', CursorCodec.MaxCursorLength + 4)));
    }

    [Fact]
    public void Decode_OtherVersionWithValidMac_Invalid()
    {
        var bytes = Base64Url.DecodeFromChars(_codec.Encode(Scope, CursorPosition.Of(1L)));
        var body = bytes[..^16];
        body[0] = 2;
        AssertInvalid(() => _codec.Decode(Scope, Sign(body)));
    }

    [Fact]
    public void Decode_SignedButMalformedValues_Invalid()
    {
        // A forged-by-the-key-holder body with trailing bytes, a bad tag, a truncated string and a zero count.
        AssertInvalid(() => _codec.Decode(Scope, Sign([1, 1, 1, 2, 0xFF])));
        AssertInvalid(() => _codec.Decode(Scope, Sign([1, 1, 9, 2])));
        AssertInvalid(() => _codec.Decode(Scope, Sign([1, 1, 2, 5, (byte)'a'])));
        AssertInvalid(() => _codec.Decode(Scope, Sign([1, 0])));
        AssertInvalid(() => _codec.Decode(Scope, Sign([1, 1, 2, 2, 0xC3, 0x28])));
        // And the same MAC construction accepts a well-formed body, so the cases above fail on content, not on signing.
        Assert.Equal(1L, _codec.Decode(Scope, Sign([1, 1, 1, 2])).GetInt64(0));
    }

    [Fact]
    public void Constructor_ShortKey_Refused()
    {
        Assert.Throws<ArgumentException>(() => new CursorCodec(new byte[31]));
        Assert.Throws<ArgumentNullException>(() => new CursorCodec(null!));
    }

    [Fact]
    public void Constructor_CopiesKey()
    {
        var key = Enumerable.Repeat((byte)3, 32).ToArray();
        var codec = new CursorCodec(key);
        var cursor = codec.Encode(Scope, CursorPosition.Of(5L));
        key[0] = 99;
        Assert.Equal(5L, codec.Decode(Scope, cursor).GetInt64(0));
    }

    [Fact]
    public void Encode_OversizedPosition_Refused()
    {
        Assert.Throws<ArgumentException>(() => _codec.Encode(Scope, CursorPosition.Of(new string('x', 600))));
    }

    [Fact]
    public void Position_WrongShape_Invalid()
    {
        var position = _codec.Decode(Scope, _codec.Encode(Scope, CursorPosition.Of(1L, "id")));
        AssertInvalid(() => position.GetString(0));
        AssertInvalid(() => position.GetInt64(1));
        AssertInvalid(() => position.GetInt64(2));
        AssertInvalid(() => position.GetInt64(-1));
        AssertInvalid(() => position.Expect(3));
        Assert.Same(position, position.Expect(2));
    }

    [Fact]
    public void Position_Bounds()
    {
        Assert.Throws<ArgumentException>(() => CursorPosition.Of());
        Assert.Throws<ArgumentException>(() => CursorPosition.Of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L));
        Assert.Throws<ArgumentNullException>(() => CursorValue.FromString(null!));
    }

    [Fact]
    public void Scope_FiltersAreUnambiguous()
    {
        Assert.NotEqual(CursorScope.For("l", ("a", "b,c")), CursorScope.For("l", ("a,b", "c")));
        Assert.NotEqual(CursorScope.For("l", ("a", null)), CursorScope.For("l", ("a", "")));
        Assert.NotEqual(CursorScope.For("l", ("a", "x")), CursorScope.For("m", ("a", "x")));
        Assert.Equal(CursorScope.For("l", ("a", "x"), ("b", null)), CursorScope.For("l", ("a", "x"), ("b", null)));
    }

    [Fact]
    public void Scope_DifferentFilters_CursorRejected()
    {
        var active = CursorScope.For(Scope, ("status", "active"));
        var cursor = _codec.Encode(active, CursorPosition.Of(1L, "a"));
        Assert.Equal("a", _codec.Decode(CursorScope.For(Scope, ("status", "active")), cursor).GetString(1));
        AssertInvalid(() => _codec.Decode(CursorScope.For(Scope, ("status", "suspended")), cursor));
    }

    private static void AssertInvalid(Action action)
    {
        var ex = Assert.Throws<ApiException>(action);
        Assert.Equal(["is invalid"], ValidationAssert.Fields(ex, "cursor"));
    }

    // The documented construction: base64url(body · HMAC-SHA256(key, version · len(scope) · scope · body[1..])[..16]).
    private static string Sign(byte[] body)
    {
        var scope = Encoding.UTF8.GetBytes(Scope);
        Assert.True(scope.Length < 128);
        byte[] input = [body[0], (byte)scope.Length, .. scope, .. body[1..]];
        var mac = HMACSHA256.HashData(Key, input)[..16];
        return Base64Url.EncodeToString([.. body, .. mac]);
    }
}
