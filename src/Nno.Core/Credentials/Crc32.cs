namespace Nno.Core.Credentials;

/// <summary>
/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as in zlib and PNG) over the low bytes of ASCII text.
/// Hand-written because <c>System.IO.Hashing</c> is a separate package and the API-key checksum is all NNO needs.
/// </summary>
public static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC-32 of the characters of <paramref name="ascii"/>, each taken as one byte (callers pass ASCII).</summary>
    public static uint Compute(ReadOnlySpan<char> ascii)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var c in ascii)
        {
            crc = Table[(byte)(crc ^ c)] ^ (crc >> 8);
        }

        return ~crc;
    }

    /// <summary>The CRC-32 of <paramref name="bytes"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc = Table[(byte)(crc ^ b)] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
