using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Nno.Core.Environments;

namespace Nno.Core.Credentials;

/// <summary>The outcome of a local API-key check (iam.md §4.6, gateway.md §4.3 step 2).</summary>
public enum ApiKeyCheck
{
    /// <summary>Well-formed, checksum correct, issued for the expected environment.</summary>
    Ok,

    /// <summary>Does not match <c>^nno_(local|dev|stg|prod)_[0-9A-Za-z]{38}$</c>.</summary>
    BadFormat,

    /// <summary>Well-formed but the CRC-32 suffix does not match (a typo or a made-up key).</summary>
    BadChecksum,

    /// <summary>A valid key of another deployment environment (e.g. a <c>nno_prod_</c> key on <c>stg</c>).</summary>
    WrongEnvironment,
}

/// <summary>
/// The API-key format of iam.md §4.6: <c>nno_&lt;env&gt;_&lt;body&gt;&lt;crc&gt;</c>, where <c>body</c> is 32 base62
/// characters from the CSPRNG and <c>crc</c> is the CRC-32 (IEEE) of the ASCII <c>nno_&lt;env&gt;_&lt;body&gt;</c> in
/// base62, left-padded with <c>0</c> to 6 characters. Shared by the gateway (which rejects malformed keys without calling
/// IAM) and IAM (which issues and verifies them). The checks allocate nothing.
/// </summary>
public static class ApiKeyFormat
{
    /// <summary>Every key starts with this.</summary>
    public const string Prefix = "nno_";

    /// <summary>The base62 alphabet, in ASCII order (digit values 0–61).</summary>
    public const string Base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>Length of the random body.</summary>
    public const int BodyLength = 32;

    /// <summary>Length of the base62 CRC-32 suffix (62^6 &gt; 2^32).</summary>
    public const int ChecksumLength = 6;

    /// <summary>Body characters shown in <see cref="DisplayPrefix"/>.</summary>
    public const int DisplayBodyLength = 4;

    /// <summary>Length of the SHA-256 stored for a key.</summary>
    public const int HashLength = 32;

    /// <summary>The longest possible key (<c>nno_local_</c> + 38).</summary>
    public const int MaxLength = 10 + BodyLength + ChecksumLength;

    private static readonly SearchValues<char> Base62Chars = SearchValues.Create(Base62Alphabet);

    /// <summary>A new key for <paramref name="environment"/>, its body drawn uniformly from the CSPRNG.</summary>
    public static string Generate(NnoEnvironment environment)
    {
        Span<char> body = stackalloc char[BodyLength];
        // GetItems draws each index uniformly (rejection sampling inside), so there is no modulo bias.
        RandomNumberGenerator.GetItems(Base62Alphabet.AsSpan(), body);
        return Create(environment, body);
    }

    /// <summary>The key with the given 32-character base62 <paramref name="body"/> (its checksum appended).</summary>
    public static string Create(NnoEnvironment environment, ReadOnlySpan<char> body)
    {
        if (body.Length != BodyLength || body.ContainsAnyExcept(Base62Chars))
        {
            throw new ArgumentException($"An API-key body is {BodyLength} base62 characters.", nameof(body));
        }

        var env = environment.ToName();
        var headLength = Prefix.Length + env.Length + 1 + BodyLength;
        return string.Create(headLength + ChecksumLength, (Env: env, Body: body.ToString()), static (span, state) =>
        {
            var pos = 0;
            Prefix.AsSpan().CopyTo(span);
            pos += Prefix.Length;
            state.Env.AsSpan().CopyTo(span[pos..]);
            pos += state.Env.Length;
            span[pos++] = '_';
            state.Body.AsSpan().CopyTo(span[pos..]);
            pos += BodyLength;
            WriteBase62(Crc32.Compute(span[..pos]), span[pos..]);
        });
    }

    /// <summary>
    /// Checks format, then checksum, then environment, in that order; never throws. A null or empty value is
    /// <see cref="ApiKeyCheck.BadFormat"/>.
    /// </summary>
    public static ApiKeyCheck Validate(ReadOnlySpan<char> key, NnoEnvironment expected)
    {
        if (!TryParseEnvironment(key, out var environment, out var bodyStart))
        {
            return ApiKeyCheck.BadFormat;
        }

        var headLength = bodyStart + BodyLength;
        Span<char> crc = stackalloc char[ChecksumLength];
        WriteBase62(Crc32.Compute(key[..headLength]), crc);
        if (!crc.SequenceEqual(key[headLength..]))
        {
            return ApiKeyCheck.BadChecksum;
        }

        return environment == expected ? ApiKeyCheck.Ok : ApiKeyCheck.WrongEnvironment;
    }

    /// <summary>
    /// True when <paramref name="key"/> matches <c>^nno_(local|dev|stg|prod)_[0-9A-Za-z]{38}$</c> (checksum not checked);
    /// gives the environment segment and where the body starts.
    /// </summary>
    public static bool TryParseEnvironment(ReadOnlySpan<char> key, out NnoEnvironment environment, out int bodyStart)
    {
        environment = default;
        bodyStart = 0;
        if (key.Length > MaxLength || !key.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = key[Prefix.Length..];
        var underscore = rest.IndexOf('_');
        if (underscore < 0 || !TryParseEnvironmentName(rest[..underscore], out environment))
        {
            return false;
        }

        bodyStart = Prefix.Length + underscore + 1;
        var tail = key[bodyStart..];
        return tail.Length == BodyLength + ChecksumLength && !tail.ContainsAnyExcept(Base62Chars);
    }

    /// <summary>
    /// <c>nno_&lt;env&gt;_</c> + the first 4 body characters (e.g. <c>nno_prod_7Gk2</c>): what lists show instead of the
    /// key. Throws <see cref="ArgumentException"/> for a malformed key.
    /// </summary>
    public static string DisplayPrefix(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return TryParseEnvironment(key, out _, out var bodyStart)
            ? key[..(bodyStart + DisplayBodyLength)]
            : throw new ArgumentException("Not an API key.", nameof(key));
    }

    /// <summary>SHA-256 of the whole key (its ASCII, i.e. UTF-8, bytes): the only form a key is stored or looked up in.</summary>
    public static byte[] Hash(ReadOnlySpan<char> key)
    {
        var byteCount = Encoding.UTF8.GetByteCount(key);
        var rented = byteCount <= 256 ? null : ArrayPool<byte>.Shared.Rent(byteCount);
        try
        {
            Span<byte> bytes = rented ?? stackalloc byte[256];
            var written = Encoding.UTF8.GetBytes(key, bytes);
            return SHA256.HashData(bytes[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Compares two key hashes in time independent of where they differ.</summary>
    public static bool HashEquals(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right) =>
        CryptographicOperations.FixedTimeEquals(left, right);

    private static bool TryParseEnvironmentName(ReadOnlySpan<char> name, out NnoEnvironment environment)
    {
        switch (name)
        {
            case "local": environment = NnoEnvironment.Local; return true;
            case "dev": environment = NnoEnvironment.Dev; return true;
            case "stg": environment = NnoEnvironment.Stg; return true;
            case "prod": environment = NnoEnvironment.Prod; return true;
            default: environment = default; return false;
        }
    }

    /// <summary>Writes <paramref name="value"/> in base62, most significant digit first, left-padded with '0'.</summary>
    private static void WriteBase62(uint value, Span<char> destination)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = Base62Alphabet[(int)(value % 62)];
            value /= 62;
        }
    }
}
