using Nno.Core.Environments;
using Nno.Core.Errors;
using Nno.Core.Naming;
using Nno.Provisioning.Cloudflare;

namespace Nno.Provisioning.Tests.Cloudflare;

public sealed class CloudflareNamesTests
{
    private const string Pid = "k3m9p2xw7q";
    private const string Sid = "s7h2k9w4x1";
    private readonly CloudflareNames _names = new(new HostnameBuilder("nno.app", "nno.run"));

    [Fact]
    public void ProdNames_HaveNoSuffix()
    {
        Assert.Equal("k3m9p2xw7q-default-auth", CloudflareNames.AuthWorker(Pid, PlatformEnvironment.Prod));
        Assert.Equal("k3m9p2xw7q-default-auth-db", CloudflareNames.AuthDatabase(Pid, PlatformEnvironment.Prod));
        Assert.Equal("k3m9p2xw7q-s7h2k9w4x1-db", CloudflareNames.StackDatabase(Pid, Sid, PlatformEnvironment.Prod));
        Assert.Equal("k3m9p2xw7q-s7h2k9w4x1-storage", CloudflareNames.StackStorage(Pid, Sid, PlatformEnvironment.Prod));
        Assert.Equal("k3m9p2xw7q-s7h2k9w4x1-kv", CloudflareNames.StackKv(Pid, Sid, PlatformEnvironment.Prod));
        Assert.Equal("k3m9p2xw7q-s7h2k9w4x1-queue", CloudflareNames.StackQueue(Pid, Sid, PlatformEnvironment.Prod));
        Assert.Equal("k3m9p2xw7q-default-crm", CloudflareNames.FeatureWorker(Pid, "default", "crm", PlatformEnvironment.Prod));
        Assert.Equal("k3m9p2xw7q-prod-portal", CloudflareNames.PagesProject(Pid, PlatformEnvironment.Prod));
        Assert.Equal("auth.svc.default.k3m9p2xw7q.nno.run", _names.AuthHostname(Pid, PlatformEnvironment.Prod));
        Assert.Equal("console.app.default.k3m9p2xw7q.nno.run", _names.ConsoleHostname(Pid, PlatformEnvironment.Prod));
        Assert.Equal("deals.svc.s7h2k9w4x1.k3m9p2xw7q.nno.run", _names.FeatureHostname("deals", Sid, Pid, PlatformEnvironment.Prod));
        Assert.Equal("auth.svc.default.k3m9p2xw7q.nno.run/*", CloudflareNames.RoutePattern(_names.AuthHostname(Pid, PlatformEnvironment.Prod)));
    }

    [Fact]
    public void StgAndDevNames_CarryTheEnvironment()
    {
        Assert.Equal("k3m9p2xw7q-default-auth-stg", CloudflareNames.AuthWorker(Pid, PlatformEnvironment.Stg));
        Assert.Equal("k3m9p2xw7q-default-auth-db-dev", CloudflareNames.AuthDatabase(Pid, PlatformEnvironment.Dev));
        Assert.Equal("k3m9p2xw7q-s7h2k9w4x1-team-stg", CloudflareNames.FeatureWorker(Pid, Sid, "team", PlatformEnvironment.Stg));
        Assert.Equal("k3m9p2xw7q-stg-portal", CloudflareNames.PagesProject(Pid, PlatformEnvironment.Stg));
        Assert.Equal("auth.svc.stg.default.k3m9p2xw7q.nno.run", _names.AuthHostname(Pid, PlatformEnvironment.Stg));
        Assert.Equal("console.app.dev.default.k3m9p2xw7q.nno.run", _names.ConsoleHostname(Pid, PlatformEnvironment.Dev));
        Assert.Equal("team.svc.dev.s7h2k9w4x1.k3m9p2xw7q.nno.run", _names.FeatureHostname("team", Sid, Pid, PlatformEnvironment.Dev));
        Assert.Equal("https://auth.svc.dev.default.k3m9p2xw7q.nno.run", _names.AuthBaseUrl(Pid, PlatformEnvironment.Dev));
    }

    [Fact]
    public void ADerivedNameOver63Characters_IsAValidationError()
    {
        var featureId = "f" + new string('a', 31); // 32 characters: a valid feature id
        var error = Assert.Throws<ApiException>(() => CloudflareNames.FeatureWorker(Pid, Sid, featureId + "-x-y-z-and-more", PlatformEnvironment.Stg));

        Assert.Equal(ErrorCodes.ValidationError, error.Code);
        Assert.Equal(54, CloudflareNames.FeatureWorker(Pid, Sid, featureId, PlatformEnvironment.Prod).Length);
    }

    [Theory]
    [InlineData("Crm")]
    [InlineData("crm_x")]
    [InlineData("-crm")]
    [InlineData("crm.x")]
    public void ACharacterOutsideTheNameAlphabet_IsAValidationError(string featureId)
    {
        var error = Assert.Throws<ApiException>(() => CloudflareNames.FeatureWorker(Pid, Sid, featureId, PlatformEnvironment.Prod));

        Assert.Equal(ErrorCodes.ValidationError, error.Code);
    }
}
