using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Nno.Core.Errors;

namespace Nno.Core.Pagination;

/// <summary>
/// Opaque, tamper-evident keyset cursors (00-system §7). A cursor is base64url (no padding) of
/// <c>version · values · MAC</c>, where MAC = HMAC-SHA256(key, version · scope · values) truncated to 128 bits.
/// The scope (see <see cref="CursorScope"/>) names the list and its filters; it is authenticated but not carried, so a
/// cursor issued for one list or filter set fails on any other. Anything that does not verify — bad base64url,
/// non-canonical encoding, unknown version, wrong MAC, wrong scope, malformed values — is a 400
/// <c>VALIDATION_ERROR</c> naming <c>cursor</c>.
/// </summary>
public sealed class CursorCodec
{
    /// <summary>Shortest accepted key (the HMAC-SHA256 block-strength recommendation).</summary>
    public const int MinKeyLength = 32;

    /// <summary>The format version written into every cursor.</summary>
    public const byte Version = 1;

    /// <summary>Most bytes a cursor may hold before base64url (bounds the work a hostile cursor can cause).</summary>
    public const int MaxEncodedBytes = 512;

    /// <summary>Longest cursor string accepted.</summary>
    public static readonly int MaxCursorLength = Base64Url.GetEncodedLength(MaxEncodedBytes);

    // 128 bits of HMAC-SHA256 keeps cursors short and is far beyond what an online forger can try (NIST SP 800-107).
    private const int MacLength = 16;
    private const byte Int64Tag = 1;
    private const byte StringTag = 2;

    private static readonly SearchValues<char> Base64UrlChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _key;

    /// <summary>Creates a codec with a secret key of at least 32 bytes (copied). Every replica of a service must share it.</summary>
    public CursorCodec(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < MinKeyLength)
        {
            throw new ArgumentException($"The cursor key must be at least {MinKeyLength} bytes.", nameof(key));
        }

        _key = [.. key];
    }

    /// <summary>Encodes <paramref name="position"/> as a cursor valid only for <paramref name="scope"/>.</summary>
    public string Encode(string scope, CursorPosition position)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(position);

        var buffer = new ArrayBufferWriter<byte>(64);
        buffer.Write([Version, (byte)position.Values.Count]);
        foreach (var value in position.Values)
        {
            if (value.Kind == CursorValueKind.Number)
            {
                buffer.Write([Int64Tag]);
                WriteVarint(buffer, ZigZag(value.AsInt64()));
            }
            else
            {
                var bytes = StrictUtf8.GetBytes(value.AsString());
                buffer.Write([StringTag]);
                WriteVarint(buffer, (ulong)bytes.Length);
                buffer.Write(bytes);
            }
        }

        var body = buffer.WrittenSpan;
        if (body.Length + MacLength > MaxEncodedBytes)
        {
            throw new ArgumentException($"The cursor position is too large (at most {MaxEncodedBytes} bytes encoded).", nameof(position));
        }

        var cursor = new byte[body.Length + MacLength];
        body.CopyTo(cursor);
        ComputeMac(scope, body, cursor.AsSpan(body.Length));
        return Base64Url.EncodeToString(cursor);
    }

    /// <summary>Decodes and verifies a cursor for <paramref name="scope"/>; throws 400 naming <c>cursor</c> when it does not verify.</summary>
    public CursorPosition Decode(string scope, string? cursor) =>
        TryDecode(scope, cursor, out var position) ? position : throw Invalid();

    /// <summary>Decodes and verifies a cursor for <paramref name="scope"/>; false when it does not verify.</summary>
    public bool TryDecode(string scope, string? cursor, out CursorPosition position)
    {
        ArgumentNullException.ThrowIfNull(scope);
        position = null!;
        if (string.IsNullOrEmpty(cursor) || cursor.Length > MaxCursorLength || cursor.AsSpan().ContainsAnyExcept(Base64UrlChars))
        {
            return false;
        }

        // IsValid first: TryDecodeFromChars throws rather than returning false on an impossible length.
        if (!Base64Url.IsValid(cursor.AsSpan(), out var decodedLength))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[decodedLength];
        if (!Base64Url.TryDecodeFromChars(cursor, bytes, out var length))
        {
            return false;
        }

        bytes = bytes[..length];

        // Only the canonical spelling is accepted, so changing any character of a cursor always invalidates it.
        Span<char> canonical = stackalloc char[Base64Url.GetEncodedLength(length)];
        if (!Base64Url.TryEncodeToChars(bytes, canonical, out var written) || !canonical[..written].SequenceEqual(cursor))
        {
            return false;
        }

        if (length < 2 + MacLength || bytes[0] != Version)
        {
            return false;
        }

        var body = bytes[..^MacLength];
        Span<byte> expected = stackalloc byte[MacLength];
        ComputeMac(scope, body, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, bytes[^MacLength..]))
        {
            return false;
        }

        return TryReadValues(body[1..], out position);
    }

    internal static ApiException Invalid() => ApiException.Validation("cursor", "is invalid");

    private void ComputeMac(string scope, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        // version · len(scope) · scope · values: the length prefix keeps (scope, values) pairs unambiguous.
        var scopeBytes = Encoding.UTF8.GetBytes(scope);
        var input = new ArrayBufferWriter<byte>(body.Length + scopeBytes.Length + 8);
        input.Write(body[..1]);
        WriteVarint(input, (ulong)scopeBytes.Length);
        input.Write(scopeBytes);
        input.Write(body[1..]);

        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, input.WrittenSpan, mac);
        mac[..MacLength].CopyTo(destination);
    }

    private static bool TryReadValues(ReadOnlySpan<byte> data, out CursorPosition position)
    {
        position = null!;
        var count = data[0];
        if (count is 0 or > CursorPosition.MaxValues)
        {
            return false;
        }

        data = data[1..];
        var values = new CursorValue[count];
        for (var i = 0; i < count; i++)
        {
            if (data.IsEmpty)
            {
                return false;
            }

            var tag = data[0];
            data = data[1..];
            if (!TryReadVarint(ref data, out var raw))
            {
                return false;
            }

            switch (tag)
            {
                case Int64Tag:
                    values[i] = CursorValue.FromInt64(UnZigZag(raw));
                    break;
                case StringTag when raw <= (ulong)data.Length:
                    try
                    {
                        values[i] = CursorValue.FromString(StrictUtf8.GetString(data[..(int)raw]));
                    }
                    catch (DecoderFallbackException)
                    {
                        return false;
                    }

                    data = data[(int)raw..];
                    break;
                default:
                    return false;
            }
        }

        if (!data.IsEmpty)
        {
            return false;
        }

        position = CursorPosition.Of(values);
        return true;
    }

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    private static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    private static void WriteVarint(IBufferWriter<byte> writer, ulong value)
    {
        Span<byte> buffer = stackalloc byte[10];
        var i = 0;
        while (value >= 0x80)
        {
            buffer[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        buffer[i++] = (byte)value;
        writer.Write(buffer[..i]);
    }

    private static bool TryReadVarint(ref ReadOnlySpan<byte> data, out ulong value)
    {
        value = 0;
        for (var i = 0; i < 10 && i < data.Length; i++)
        {
            var b = data[i];
            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                data = data[(i + 1)..];
                return true;
            }
        }

        return false;
    }
}
