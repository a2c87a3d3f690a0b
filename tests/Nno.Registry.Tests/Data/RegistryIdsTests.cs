using Microsoft.Extensions.Configuration;
using Nno.Core.Ids;
using Nno.Registry.Data;

namespace Nno.Registry.Tests.Data;

/// <summary>registry.md §2 ids: 10-character platform ids that are never IAM's operator platform id, and 16-character prefixed ids.</summary>
public sealed class RegistryIdsTests
{
    /// <summary>Hands out the given ids in order (the source of randomness is the only thing replaced).</summary>
    private sealed class ScriptedIds(params string[] ids) : IIdGenerator
    {
        private readonly Queue<string> _ids = new(ids);

        public string NewId() => _ids.Dequeue();

        public string NewPrefixedId(string prefix) => RandomIdGenerator.Instance.NewPrefixedId(prefix);
    }

    private static IConfiguration Settings(string? operatorId) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Iam:OperatorPlatformId"] = operatorId }).Build();

    [Fact]
    public void NewPlatformId_SkipsTheConfiguredOperatorPlatformId()
    {
        var ids = new RegistryIds(new ScriptedIds("opsplatfrm", "abcdefghij"), Settings("opsplatfrm"));
        Assert.Equal("abcdefghij", ids.NewPlatformId());
    }

    [Fact]
    public void NewPlatformId_SkipsTheDefaultOperatorIdWhenNoneIsConfigured()
    {
        var ids = new RegistryIds(new ScriptedIds("0000000000", "k3m9p2xw7q"), Settings(null));
        Assert.Equal("k3m9p2xw7q", ids.NewPlatformId());
    }

    [Theory]
    [InlineData(RegistryIds.LifecycleEvent)]
    [InlineData(RegistryIds.Audit)]
    [InlineData(RegistryIds.Outbox)]
    [InlineData(RegistryIds.FeatureActivation)]
    [InlineData(RegistryIds.Onboarding)]
    public void New_IsPrefixUnderscoreAnd16Characters(string prefix)
    {
        var ids = new RegistryIds(RandomIdGenerator.Instance, Settings(null));
        var generated = Enumerable.Range(0, 200).Select(_ => ids.New(prefix)).ToList();
        Assert.All(generated, id => Assert.Matches($"^{prefix}_[a-z0-9]{{16}}$", id));
        Assert.All(generated, id => Assert.True(RegistryIds.IsPrefixed(id, prefix)));
        Assert.Equal(generated.Count, generated.Distinct().Count());
        Assert.All(Enumerable.Range(0, 200).Select(_ => ids.NewPlatformId()), id => Assert.True(IdFormat.IsPlatformId(id)));
    }
}
