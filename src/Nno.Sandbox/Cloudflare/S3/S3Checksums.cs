using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Nno.Sandbox.Cloudflare.S3;

/// <summary>
/// Integrity checks R2 applies to a body: <c>Content-MD5</c> (mismatch → <c>InvalidDigest</c>) and the flexible
/// checksums the AWS SDK v4 sends by default (<c>x-amz-checksum-crc32|crc32c|crc64nvme|sha1|sha256</c>, as a header
/// or a trailer; mismatch → <c>BadDigest</c>). CRCs are hand-written: <c>System.IO.Hashing</c> is a package NNO
/// does not otherwise need.
/// </summary>
internal static class S3Checksums
{
    private static readonly uint[] Crc32IeeeTable = Crc32Table(0xEDB88320u);
    private static readonly uint[] Crc32CTable = Crc32Table(0x82F63B78u);
    private static readonly ulong[] Crc64NvmeTable = Crc64Table(0x9A6C9329AC4BC9B5ul);

    /// <summary>True when the request carries an integrity value (what DeleteObjects requires).</summary>
    public static bool HasAny(IReadOnlyDictionary<string, string> values) =>
        values.ContainsKey("content-md5") || values.Keys.Any(k => k.StartsWith("x-amz-checksum-", StringComparison.Ordinal));

    /// <summary>Checks every integrity value present in <paramref name="values"/> (lower-case header names).</summary>
    // MD5 and SHA-1 are what the S3 protocol names for integrity checks here, not used for security.
#pragma warning disable CA5350, CA5351
    public static void Verify(ReadOnlySpan<byte> data, IReadOnlyDictionary<string, string> values)
    {
        if (values.TryGetValue("content-md5", out var md5) && md5 != Convert.ToBase64String(MD5.HashData(data)))
        {
            throw S3Exception.InvalidDigest("The Content-MD5 you specified did not match what we received.");
        }

        foreach (var (name, given) in values)
        {
            if (!name.StartsWith("x-amz-checksum-", StringComparison.Ordinal) || name == "x-amz-checksum-type")
            {
                continue;
            }

            var expected = name["x-amz-checksum-".Length..] switch
            {
                "crc32" => BigEndian32(Crc32(Crc32IeeeTable, data)),
                "crc32c" => BigEndian32(Crc32(Crc32CTable, data)),
                "crc64nvme" => BigEndian64(Crc64Nvme(data)),
                "sha1" => Convert.ToBase64String(SHA1.HashData(data)),
                "sha256" => Convert.ToBase64String(SHA256.HashData(data)),
                var other => throw S3Exception.InvalidRequest($"Unsupported checksum algorithm '{other}'."),
            };
            if (expected != given)
            {
                throw S3Exception.BadDigest($"The {name} you specified did not match the calculated checksum.");
            }
        }
    }

#pragma warning restore CA5350, CA5351

    private static uint Crc32(uint[] table, ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc = table[(byte)(crc ^ b)] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static ulong Crc64Nvme(ReadOnlySpan<byte> data)
    {
        var crc = ulong.MaxValue;
        foreach (var b in data)
        {
            crc = Crc64NvmeTable[(byte)(crc ^ b)] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static string BigEndian32(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return Convert.ToBase64String(bytes);
    }

    private static string BigEndian64(ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        return Convert.ToBase64String(bytes);
    }

    private static uint[] Crc32Table(uint polynomial)
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? polynomial ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }

    private static ulong[] Crc64Table(ulong polynomial)
    {
        var table = new ulong[256];
        for (ulong n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? polynomial ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
