using Nno.Core.Environments;
using Nno.Core.Naming;

namespace Nno.Core.Tests.Naming;

public sealed class ResourceNamesTests
{
    private const string Pid = "k3m9p2xw7q";
    private const string Sid = "a1b2c3d4e5";

    [Theory]
    [InlineData(NnoEnvironment.Prod, "")]
    [InlineData(NnoEnvironment.Local, "")]
    [InlineData(NnoEnvironment.Stg, "-stg")]
    [InlineData(NnoEnvironment.Dev, "-dev")]
    public void PerPlatformResources_FollowThePattern(NnoEnvironment environment, string suffix)
    {
        Assert.Equal($"{Pid}-default-auth{suffix}", ResourceNames.AuthWorker(Pid, environment));
        Assert.Equal($"{Pid}-default-auth-db{suffix}", ResourceNames.AuthDatabase(Pid, environment));
        Assert.Equal($"{Pid}-{Sid}-db{suffix}", ResourceNames.StackDatabase(Pid, Sid, environment));
        Assert.Equal($"{Pid}-{Sid}-storage{suffix}", ResourceNames.StackStorage(Pid, Sid, environment));
        Assert.Equal($"{Pid}-{Sid}-kv{suffix}", ResourceNames.StackKv(Pid, Sid, environment));
        Assert.Equal($"{Pid}-{Sid}-queue{suffix}", ResourceNames.StackQueue(Pid, Sid, environment));
        Assert.Equal($"{Pid}-{Sid}-billing{suffix}", ResourceNames.FeatureWorker(Pid, Sid, "billing", environment));
        Assert.Equal($"{Pid}-default-auth-db{suffix}", ResourceNames.Cloudflare(Pid, "default", "auth", "db", environment));
    }

    [Fact]
    public void PagesProject_CarriesEnvironmentName()
    {
        Assert.Equal($"{Pid}-prod-portal", ResourceNames.PagesProject(Pid, NnoEnvironment.Prod));
        Assert.Equal($"{Pid}-stg-portal", ResourceNames.PagesProject(Pid, NnoEnvironment.Stg));
        Assert.Equal($"{Pid}-dev-portal", ResourceNames.PagesProject(Pid, PlatformEnvironment.Dev.ToNnoEnvironment()));
    }

    [Fact]
    public void GitHubRepository_IsNnoPlatformPid()
    {
        Assert.Equal("nno-platform-k3m9p2xw7q", ResourceNames.GitHubRepository(Pid));
    }

    [Fact]
    public void FeatureWorker_ExactlyAt63_Allowed_Over_ValidationNamingFeatureId()
    {
        // 10 + 1 + 10 + 1 = 22 characters of prefix, "-stg" 4: a 37-character feature id reaches 63.
        var fits = ResourceNames.FeatureWorker(Pid, Sid, new string('f', 37), NnoEnvironment.Stg);
        Assert.Equal(63, fits.Length);

        var problems = ValidationAssert.Throws("featureId", () => ResourceNames.FeatureWorker(Pid, Sid, new string('f', 38), NnoEnvironment.Stg));
        Assert.Contains("64 characters", problems[0], StringComparison.Ordinal);
        Assert.Contains("at most 63", problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Cloudflare_TooLong_ValidationNamingCfNameByDefault()
    {
        ValidationAssert.Throws("cfName", () => ResourceNames.Cloudflare(Pid, Sid, new string('s', 30), new string('t', 20), NnoEnvironment.Prod));
    }

    [Theory]
    [InlineData("Auth")]
    [InlineData("")]
    [InlineData("-auth")]
    [InlineData("auth-")]
    [InlineData("au_th")]
    [InlineData("au.th")]
    public void Cloudflare_BadSegment_Validation(string service)
    {
        ValidationAssert.Throws("cfName", () => ResourceNames.Cloudflare(Pid, Sid, service, null, NnoEnvironment.Prod));
        ValidationAssert.Throws("cfName", () => ResourceNames.Cloudflare(Pid, Sid, "auth", service, NnoEnvironment.Prod));
    }

    [Theory]
    [InlineData("payments-dev", null)]
    [InlineData("stg", null)]
    [InlineData("auth", "stg")]
    [InlineData("auth", "db-dev")]
    public void Cloudflare_EndingThatLooksLikeEnvironment_Validation(string service, string? resourceType)
    {
        var problems = ValidationAssert.Throws("cfName", () => ResourceNames.Cloudflare(Pid, Sid, service, resourceType, NnoEnvironment.Prod));
        Assert.Contains("'-stg' or '-dev'", problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Cloudflare_BadIds_NameTheField()
    {
        ValidationAssert.Throws("platformId", () => ResourceNames.AuthWorker("K3M9P2XW7Q", NnoEnvironment.Prod));
        ValidationAssert.Throws("stackId", () => ResourceNames.StackKv(Pid, "main", NnoEnvironment.Prod));
        ValidationAssert.Throws("platformId", () => ResourceNames.GitHubRepository("x"));
        ValidationAssert.Throws("platformId", () => ResourceNames.PagesProject("x", NnoEnvironment.Prod));
    }

    [Theory]
    [InlineData("a", true)]
    [InlineData("k3m9p2xw7q-default-auth", true)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("Upper", false)]
    [InlineData("under_score", false)]
    public void IsValid_Charset(string? name, bool expected)
    {
        Assert.Equal(expected, ResourceNames.IsValid(name));
    }

    [Fact]
    public void IsValid_LengthLimit()
    {
        Assert.True(ResourceNames.IsValid(new string('a', 63)));
        Assert.False(ResourceNames.IsValid(new string('a', 64)));
    }

    [Theory]
    [InlineData(NnoEnvironment.Prod)]
    [InlineData(NnoEnvironment.Stg)]
    [InlineData(NnoEnvironment.Dev)]
    [InlineData(NnoEnvironment.Local)]
    public void BelongsTo_EveryBuiltName_True(NnoEnvironment environment)
    {
        Assert.True(ResourceNames.BelongsTo(ResourceNames.AuthWorker(Pid, environment), Pid, "default", environment));
        Assert.True(ResourceNames.BelongsTo(ResourceNames.AuthDatabase(Pid, environment), Pid, "default", environment));
        Assert.True(ResourceNames.BelongsTo(ResourceNames.StackStorage(Pid, Sid, environment), Pid, Sid, environment));
        Assert.True(ResourceNames.BelongsTo(ResourceNames.FeatureWorker(Pid, Sid, "billing", environment), Pid, Sid, environment));
    }

    [Theory]
    [InlineData("k3m9p2xw7q-a1b2c3d4e5-db", NnoEnvironment.Stg)]
    [InlineData("k3m9p2xw7q-a1b2c3d4e5-db", NnoEnvironment.Dev)]
    [InlineData("k3m9p2xw7q-a1b2c3d4e5-db-stg", NnoEnvironment.Prod)]
    [InlineData("k3m9p2xw7q-a1b2c3d4e5-db-dev", NnoEnvironment.Stg)]
    [InlineData("k3m9p2xw7q-a1b2c3d4e5-stg", NnoEnvironment.Stg)]
    [InlineData("k3m9p2xw7q-a1b2c3d4e5-", NnoEnvironment.Prod)]
    [InlineData("k3m9p2xw7q-a1b2c3d4e5--db", NnoEnvironment.Prod)]
    [InlineData("zzzzzzzzzz-a1b2c3d4e5-db", NnoEnvironment.Prod)]
    [InlineData("k3m9p2xw7q-default-db", NnoEnvironment.Prod)]
    [InlineData("a1b2c3d4e5-db", NnoEnvironment.Prod)]
    [InlineData("k3m9p2xw7q-prod-portal", NnoEnvironment.Prod)]
    public void BelongsTo_ForeignOrMislabelledName_False(string cfName, NnoEnvironment environment)
    {
        Assert.False(ResourceNames.BelongsTo(cfName, Pid, Sid, environment));
    }

    [Fact]
    public void BelongsTo_TooLong_False()
    {
        Assert.False(ResourceNames.BelongsTo($"{Pid}-{Sid}-{new string('f', 42)}", Pid, Sid, NnoEnvironment.Prod));
    }
}
