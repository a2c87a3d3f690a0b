using Nno.Core.Ids;

namespace Nno.Core.Tests.Ids;

public sealed class IdGeneratorTests
{
    [Fact]
    public void NewId_Random_Is10LowercaseAlphanumerics()
    {
        for (var i = 0; i < 1000; i++)
        {
            var id = RandomIdGenerator.Instance.NewId();
            Assert.Matches("^[a-z0-9]{10}$", id);
            Assert.True(IdFormat.IsPlatformId(id));
        }
    }

    [Fact]
    public void NewId_Random_DoesNotRepeat()
    {
        var ids = Enumerable.Range(0, 20_000).Select(_ => RandomIdGenerator.Instance.NewId()).ToHashSet();
        Assert.Equal(20_000, ids.Count);
    }

    [Fact]
    public void NewId_Random_UsesEveryCharacterUniformly()
    {
        AssertUniform(RandomIdGenerator.Instance);
    }

    [Fact]
    public void NewId_Deterministic_UsesEveryCharacterUniformly()
    {
        AssertUniform(new DeterministicIdGenerator("uniformity"));
    }

    [Fact]
    public void NewPrefixedId_Random_IsPrefixUnderscoreAnd20Characters()
    {
        var id = RandomIdGenerator.Instance.NewPrefixedId("usr");
        Assert.Matches("^usr_[a-z0-9]{20}$", id);
        Assert.True(IdFormat.IsPrefixedId(id, "usr"));
        Assert.False(IdFormat.IsPrefixedId(id, "ses"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("USR")]
    [InlineData("usr_")]
    [InlineData("us1")]
    [InlineData("abcdefghijklmnopq")]
    public void NewPrefixedId_InvalidPrefix_Throws(string prefix)
    {
        Assert.Throws<ArgumentException>(() => RandomIdGenerator.Instance.NewPrefixedId(prefix));
        Assert.Throws<ArgumentException>(() => new DeterministicIdGenerator("x").NewPrefixedId(prefix));
    }

    [Fact]
    public void Deterministic_SameSeed_SameSequence()
    {
        var a = new DeterministicIdGenerator("seed-1");
        var b = new DeterministicIdGenerator("seed-1");
        var first = new[] { a.NewId(), a.NewPrefixedId("key"), a.NewId() };
        var second = new[] { b.NewId(), b.NewPrefixedId("key"), b.NewId() };
        Assert.Equal(first, second);
        Assert.Matches("^[a-z0-9]{10}$", first[0]);
        Assert.Matches("^key_[a-z0-9]{20}$", first[1]);
        Assert.NotEqual(first[0], first[2]);
    }

    [Fact]
    public void Deterministic_DifferentSeeds_DifferentIds()
    {
        Assert.NotEqual(new DeterministicIdGenerator("a").NewId(), new DeterministicIdGenerator("b").NewId());
    }

    [Fact]
    public async Task Deterministic_ConcurrentCallers_GetDistinctIds()
    {
        var generator = new DeterministicIdGenerator("concurrent");
        var batches = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 2_000).Select(_ => generator.NewId()).ToList())));
        var all = batches.SelectMany(b => b).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
    }

    [Fact]
    public void NewId_NeverReturnsOperatorPlatformId()
    {
        var generator = new ScriptedIdGenerator(IdFormat.OperatorPlatformId, IdFormat.OperatorPlatformId, "k3m9p2xw7q");
        Assert.Equal("k3m9p2xw7q", generator.NewId());
        Assert.Equal(3, generator.Draws);
    }

    [Fact]
    public void NewPrefixedId_ZeroBodyIsAllowed()
    {
        // Only the 10-character platform id is reserved; a prefixed id may be anything.
        var generator = new ScriptedIdGenerator(new string('0', 20));
        Assert.Equal("usr_" + new string('0', 20), generator.NewPrefixedId("usr"));
    }

    private static void AssertUniform(IIdGenerator generator)
    {
        const int ids = 20_000;
        var counts = new Dictionary<char, int>();
        for (var i = 0; i < ids; i++)
        {
            foreach (var c in generator.NewId())
            {
                counts[c] = counts.GetValueOrDefault(c) + 1;
            }
        }

        Assert.Equal(IdFormat.Alphabet.Length, counts.Count);
        var expected = ids * IdFormat.Length / (double)IdFormat.Alphabet.Length;
        var chiSquare = counts.Values.Sum(observed => (observed - expected) * (observed - expected) / expected);

        // 35 degrees of freedom: a fair source exceeds 90 with probability < 1e-6; modulo bias (byte % 36) scores in the hundreds.
        Assert.True(chiSquare < 90, $"chi-square {chiSquare:F1} says the characters are not uniform");
    }

    private sealed class ScriptedIdGenerator(params string[] draws) : IdGenerator
    {
        private readonly Queue<string> _draws = new(draws);

        public int Draws { get; private set; }

        protected override void FillRandom(Span<char> destination)
        {
            Draws++;
            var next = _draws.Dequeue();
            Assert.Equal(destination.Length, next.Length);
            next.AsSpan().CopyTo(destination);
        }
    }
}
