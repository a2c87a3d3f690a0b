using Nno.Core.Environments;
using Nno.Core.Naming;

namespace Nno.Core.Tests.Naming;

public sealed class HostnamesTests
{
    private const string Pid = "k3m9p2xw7q";
    private readonly HostnameBuilder _hosts = new(HostnameBuilder.DefaultCoreDomain, HostnameBuilder.DefaultPlatformDomain);

    [Theory]
    [InlineData("nno.app", true)]
    [InlineData("localhost", true)]
    [InlineData("a-b.c1.example", true)]
    [InlineData("xn--bcher-kva.example", true)]
    [InlineData("NNO.app", false)]
    [InlineData("-a.example", false)]
    [InlineData("a-.example", false)]
    [InlineData("a..example", false)]
    [InlineData(".a.example", false)]
    [InlineData("a.example.", false)]
    [InlineData("a_b.example", false)]
    [InlineData("*.example", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsValid_AppliesLabelRules(string? hostname, bool expected)
    {
        Assert.Equal(expected, Hostnames.IsValid(hostname));
    }

    [Fact]
    public void IsValid_LabelAndTotalLengthLimits()
    {
        Assert.True(Hostnames.IsValid(new string('a', 63) + ".example"));
        Assert.False(Hostnames.IsValid(new string('a', 64) + ".example"));
        var label = new string('a', 63);
        var exactly253 = $"{label}.{label}.{label}.{new string('b', 61)}";
        Assert.Equal(253, exactly253.Length);
        Assert.True(Hostnames.IsValid(exactly253));
        Assert.False(Hostnames.IsValid("c" + exactly253));
    }

    [Theory]
    [InlineData("nno.app", "nno.app", true)]
    [InlineData("api.nno.app", "nno.app", true)]
    [InlineData("a.b.nno.app", "nno.app", true)]
    [InlineData("xnno.app", "nno.app", false)]
    [InlineData("nno.app", "api.nno.app", false)]
    [InlineData("nno.apps", "nno.app", false)]
    public void IsSameOrUnder_RespectsLabelBoundaries(string hostname, string domain, bool expected)
    {
        Assert.Equal(expected, Hostnames.IsSameOrUnder(hostname, domain));
    }

    [Theory]
    [InlineData(NnoEnvironment.Prod, "api.svc.nno.app")]
    [InlineData(NnoEnvironment.Local, "api.svc.nno.app")]
    [InlineData(NnoEnvironment.Stg, "api.svc.stg.nno.app")]
    [InlineData(NnoEnvironment.Dev, "api.svc.dev.nno.app")]
    public void Core_InsertsEnvironmentLabel(NnoEnvironment environment, string expected)
    {
        Assert.Equal(expected, _hosts.Core("api", "svc", environment));
    }

    [Theory]
    [InlineData(NnoEnvironment.Prod, "auth.svc.default.k3m9p2xw7q.nno.run")]
    [InlineData(NnoEnvironment.Local, "auth.svc.default.k3m9p2xw7q.nno.run")]
    [InlineData(NnoEnvironment.Stg, "auth.svc.stg.default.k3m9p2xw7q.nno.run")]
    [InlineData(NnoEnvironment.Dev, "auth.svc.dev.default.k3m9p2xw7q.nno.run")]
    public void PlatformAuth_FollowsSpecExample(NnoEnvironment environment, string expected)
    {
        Assert.Equal(expected, _hosts.PlatformAuth(Pid, environment));
        Assert.Equal(expected, _hosts.Platform("auth", "svc", "default", Pid, environment));
    }

    [Fact]
    public void PlatformConsoleAndFeature_UseTheirStackAndType()
    {
        Assert.Equal("console.app.stg.default.k3m9p2xw7q.nno.run", _hosts.PlatformConsole(Pid, NnoEnvironment.Stg));
        Assert.Equal("billing.svc.a1b2c3d4e5.k3m9p2xw7q.nno.run", _hosts.Feature("billing", "a1b2c3d4e5", Pid, NnoEnvironment.Prod));
    }

    [Fact]
    public void Builder_UsesConfiguredDomains()
    {
        var hosts = new HostnameBuilder("example.com", "customers.example.net");
        Assert.Equal("api.svc.dev.example.com", hosts.Core("api", "svc", NnoEnvironment.Dev));
        Assert.Equal("auth.svc.default.k3m9p2xw7q.customers.example.net", hosts.PlatformAuth(Pid, NnoEnvironment.Prod));
        Assert.Equal("example.com", hosts.CoreDomain);
        Assert.Equal("customers.example.net", hosts.PlatformDomain);
    }

    [Theory]
    [InlineData("nno.app", "nno.app")]
    [InlineData("nno.app", "run.nno.app")]
    [InlineData("app.nno.run", "nno.run")]
    public void Builder_OverlappingDomains_Refused(string core, string platform)
    {
        var ex = Assert.Throws<ArgumentException>(() => new HostnameBuilder(core, platform));
        Assert.Contains("separate sites", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(HostnameBuilder.DomainProblem(core, platform));
    }

    [Theory]
    [InlineData("NNO.app", "nno.run")]
    [InlineData("nno.app", "")]
    [InlineData("nno..app", "nno.run")]
    public void Builder_InvalidDomain_Refused(string core, string platform)
    {
        Assert.Throws<ArgumentException>(() => new HostnameBuilder(core, platform));
    }

    [Theory]
    [InlineData("nno.app", "nno.run")]
    [InlineData("nno.app", "nno.app.run")]
    [InlineData("nno.app", "xnno.app")]
    public void DomainProblem_DisjointDomains_None(string core, string platform)
    {
        Assert.Null(HostnameBuilder.DomainProblem(core, platform));
    }

    [Theory]
    [InlineData("Auth")]
    [InlineData("-auth")]
    [InlineData("au.th")]
    [InlineData("")]
    public void Platform_BadNameLabel_Validation(string name)
    {
        ValidationAssert.Throws("hostname", () => _hosts.Platform(name, "svc", "default", Pid, NnoEnvironment.Prod));
    }

    [Fact]
    public void Platform_LabelOver63_Validation()
    {
        var problems = ValidationAssert.Throws("hostname", () => _hosts.Feature(new string('f', 64), "default", Pid, NnoEnvironment.Prod));
        Assert.Contains("at most 63", problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Core_TotalOver253_Validation()
    {
        var label = new string('d', 60);
        var hosts = new HostnameBuilder($"{label}.{label}.{label}.{label}", "nno.run");
        var problems = ValidationAssert.Throws("hostname", () => hosts.Core("console", "app", NnoEnvironment.Prod));
        Assert.Contains("253", problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Platform_BadIds_NameTheField()
    {
        ValidationAssert.Throws("stackId", () => _hosts.Platform("auth", "svc", "Default", Pid, NnoEnvironment.Prod));
        ValidationAssert.Throws("platformId", () => _hosts.Platform("auth", "svc", "default", "short", NnoEnvironment.Prod));
    }

    [Theory]
    [InlineData("acme.com", false)]
    [InlineData("shop.acme.com", false)]
    [InlineData("nno.app", true)]
    [InlineData("console.nno.app", true)]
    [InlineData("x.k3m9p2xw7q.nno.run", true)]
    [InlineData("nno.apps", false)]
    [InlineData("mynno.run", false)]
    public void IsUnderReservedDomain_CoversBothDomains(string hostname, bool expected)
    {
        Assert.Equal(expected, _hosts.IsUnderReservedDomain(hostname));
    }

    [Theory]
    [InlineData("auth.svc.stg.default.k3m9p2xw7q.nno.run", NnoEnvironment.Stg, true)]
    [InlineData("billing.svc.stg.default.k3m9p2xw7q.nno.run", NnoEnvironment.Stg, true)]
    [InlineData("auth.svc.default.k3m9p2xw7q.nno.run", NnoEnvironment.Prod, true)]
    [InlineData("auth.svc.default.k3m9p2xw7q.nno.run", NnoEnvironment.Stg, false)]
    [InlineData("auth.svc.stg.default.k3m9p2xw7q.nno.run", NnoEnvironment.Prod, false)]
    [InlineData("auth.svc.dev.default.k3m9p2xw7q.nno.run", NnoEnvironment.Stg, false)]
    [InlineData("auth.svc.stg.a1b2c3d4e5.k3m9p2xw7q.nno.run", NnoEnvironment.Stg, false)]
    [InlineData("auth.svc.stg.default.a1b2c3d4e5.nno.run", NnoEnvironment.Stg, false)]
    [InlineData("x.auth.svc.stg.default.k3m9p2xw7q.nno.run", NnoEnvironment.Stg, false)]
    [InlineData("auth.stg.default.k3m9p2xw7q.nno.run", NnoEnvironment.Stg, false)]
    [InlineData("auth.svc.stg.default.k3m9p2xw7q.nno.app", NnoEnvironment.Stg, false)]
    [InlineData("Auth.svc.stg.default.k3m9p2xw7q.nno.run", NnoEnvironment.Stg, false)]
    public void IsPlatformHostname_ChecksExactShape(string hostname, NnoEnvironment environment, bool expected)
    {
        Assert.Equal(expected, _hosts.IsPlatformHostname(hostname, "default", Pid, environment));
    }
}
