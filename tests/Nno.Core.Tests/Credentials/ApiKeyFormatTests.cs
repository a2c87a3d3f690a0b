using System.Text;
using System.Text.RegularExpressions;
using Nno.Core.Credentials;
using Nno.Core.Environments;

namespace Nno.Core.Tests.Credentials;

public sealed class ApiKeyFormatTests
{
    // The spec's regex with \z for $: .NET's $ also matches before a final "\n", which a key must not end with.
    private static readonly Regex SpecRegex = new(@"^nno_(local|dev|stg|prod)_[0-9A-Za-z]{38}\z", RegexOptions.CultureInvariant);

    [Theory]
    [InlineData("123456789", 0xCBF43926u)]
    [InlineData("", 0x00000000u)]
    [InlineData("a", 0xE8B7BE43u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x414FA339u)]
    public void Crc32_MatchesKnownIeeeVectors(string input, uint expected)
    {
        Assert.Equal(expected, Crc32.Compute(input.AsSpan()));
        Assert.Equal(expected, Crc32.Compute(Encoding.ASCII.GetBytes(input).AsSpan()));
    }

    [Theory]
    [InlineData(NnoEnvironment.Local, "nno_local_")]
    [InlineData(NnoEnvironment.Dev, "nno_dev_")]
    [InlineData(NnoEnvironment.Stg, "nno_stg_")]
    [InlineData(NnoEnvironment.Prod, "nno_prod_")]
    public void Generate_MatchesSpecRegexAndValidates(NnoEnvironment environment, string prefix)
    {
        var key = ApiKeyFormat.Generate(environment);

        Assert.Matches(SpecRegex, key);
        Assert.StartsWith(prefix, key, StringComparison.Ordinal);
        Assert.Equal(ApiKeyCheck.Ok, ApiKeyFormat.Validate(key, environment));
    }

    [Fact]
    public void Create_AppendsBase62CrcOfTheAsciiHead_LeftPaddedToSixChars()
    {
        var body = new string('A', 32);
        var key = ApiKeyFormat.Create(NnoEnvironment.Prod, body);

        var crc = Crc32.Compute(("nno_prod_" + body).AsSpan());
        var expected = new char[6];
        for (var i = 5; i >= 0; i--)
        {
            expected[i] = ApiKeyFormat.Base62Alphabet[(int)(crc % 62)];
            crc /= 62;
        }

        Assert.Equal("nno_prod_" + body + new string(expected), key);
    }

    [Fact]
    public void Create_RejectsABodyThatIsNot32Base62Chars()
    {
        Assert.Throws<ArgumentException>(() => ApiKeyFormat.Create(NnoEnvironment.Dev, new string('a', 31)));
        Assert.Throws<ArgumentException>(() => ApiKeyFormat.Create(NnoEnvironment.Dev, new string('-', 32)));
    }

    [Fact]
    public void Validate_EverySingleCharacterChangeInBodyOrCrc_FailsChecksum()
    {
        var key = ApiKeyFormat.Generate(NnoEnvironment.Stg);
        var bodyStart = "nno_stg_".Length;
        for (var i = bodyStart; i < key.Length; i++)
        {
            foreach (var replacement in ApiKeyFormat.Base62Alphabet)
            {
                if (replacement == key[i])
                {
                    continue;
                }

                var altered = string.Concat(key.AsSpan(0, i), replacement.ToString(), key.AsSpan(i + 1));
                Assert.Equal(ApiKeyCheck.BadChecksum, ApiKeyFormat.Validate(altered, NnoEnvironment.Stg));
            }
        }
    }

    [Fact]
    public void Validate_KeyOfAnotherEnvironment_IsWrongEnvironment()
    {
        var prod = ApiKeyFormat.Generate(NnoEnvironment.Prod);

        Assert.Equal(ApiKeyCheck.WrongEnvironment, ApiKeyFormat.Validate(prod, NnoEnvironment.Stg));
        Assert.Equal(ApiKeyCheck.WrongEnvironment, ApiKeyFormat.Validate(prod, NnoEnvironment.Local));
    }

    [Fact]
    public void Validate_EnvironmentSegmentSwapped_FailsChecksum()
    {
        // The environment is part of the checksummed text, so relabelling a key does not make it valid elsewhere.
        var prod = ApiKeyFormat.Generate(NnoEnvironment.Prod);
        var relabelled = "nno_stg_" + prod["nno_prod_".Length..];

        Assert.Equal(ApiKeyCheck.BadChecksum, ApiKeyFormat.Validate(relabelled, NnoEnvironment.Stg));
    }

    public static TheoryData<string?> BadFormats()
    {
        var good = ApiKeyFormat.Generate(NnoEnvironment.Dev);
        var tail = good["nno_dev_".Length..];
        return new TheoryData<string?>
        {
            null,
            "",
            "nno_",
            "nno_dev_",
            good[..^1],
            good + "a",
            "NNO_dev_" + tail,
            "nno_DEV_" + tail,
            "nno_test_" + tail,
            "nno_production_" + tail,
            "nno__" + tail,
            "nnodev_" + tail,
            "xno_dev_" + tail,
            "nno_dev_" + tail[..^1] + "-",
            "nno_dev_" + tail[..^1] + "_",
            "nno_dev_" + tail[..^1] + "é",
            " " + good,
            good + "\n",
            "Bearer " + good,
            "nno_dev_" + tail[..10] + "_" + tail[11..],
        };
    }

    [Theory]
    [MemberData(nameof(BadFormats))]
    public void Validate_MalformedValue_IsBadFormat(string? value)
    {
        Assert.Equal(ApiKeyCheck.BadFormat, ApiKeyFormat.Validate(value, NnoEnvironment.Dev));
        if (value is not null)
        {
            Assert.DoesNotMatch(SpecRegex, value);
        }
    }

    [Fact]
    public void DisplayPrefix_IsEnvironmentPrefixPlusFourBodyChars()
    {
        var key = ApiKeyFormat.Create(NnoEnvironment.Prod, "7Gk2" + new string('x', 28));

        Assert.Equal("nno_prod_7Gk2", ApiKeyFormat.DisplayPrefix(key));
        Assert.Throws<ArgumentException>(() => ApiKeyFormat.DisplayPrefix("nno_prod_7Gk2"));
    }

    [Fact]
    public void Hash_IsSha256OfTheWholeKey()
    {
        var key = ApiKeyFormat.Generate(NnoEnvironment.Local);

        var hash = ApiKeyFormat.Hash(key);

        Assert.Equal(ApiKeyFormat.HashLength, hash.Length);
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(Encoding.ASCII.GetBytes(key)), hash);
        Assert.True(ApiKeyFormat.HashEquals(hash, ApiKeyFormat.Hash(key)));
        Assert.False(ApiKeyFormat.HashEquals(hash, ApiKeyFormat.Hash(ApiKeyFormat.Generate(NnoEnvironment.Local))));
    }

    [Fact]
    public void Generate_BodiesAreDistinctAndUseTheWholeAlphabetEvenly()
    {
        const int keys = 4000;
        var counts = new Dictionary<char, int>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < keys; i++)
        {
            var key = ApiKeyFormat.Generate(NnoEnvironment.Dev);
            Assert.True(seen.Add(key));
            foreach (var c in key.AsSpan("nno_dev_".Length, ApiKeyFormat.BodyLength))
            {
                counts[c] = counts.GetValueOrDefault(c) + 1;
            }
        }

        // 128,000 draws over 62 symbols: ~2,065 each, standard deviation ~45. ±15 % is > 6 sigma, and a modulo-biased
        // generator over bytes (256 = 4·62 + 8) would put the first 8 symbols ~24 % above the rest.
        Assert.Equal(62, counts.Count);
        var expected = keys * ApiKeyFormat.BodyLength / 62.0;
        Assert.All(counts, pair => Assert.InRange(pair.Value, expected * 0.85, expected * 1.15));
    }
}
