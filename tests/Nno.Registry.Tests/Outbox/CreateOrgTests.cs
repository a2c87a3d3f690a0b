using Microsoft.EntityFrameworkCore;
using Nno.Registry.Tests.Support;

namespace Nno.Registry.Tests.Outbox;

/// <summary>registry.md §7 test 22 (through the import's default entity): IAM organization created by the relay, also after IAM 503s.</summary>
public sealed class CreateOrgTests : IAsyncLifetime
{
    private readonly IamFaults _faults = new();
    private RegistryHost _host = null!;

    public async Task InitializeAsync() => _host = await RegistryHost.StartWithAsync(configurePipeline: _faults.Install);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task ImportedDefaultEntity_BecomesActiveWithIamOrg_AfterThreeIam503s()
    {
        var owner = _host.CreateIamUser();
        _faults.Fail("POST", "/api/nno/organizations", 503, times: 3);
        var pid = (await _host.ImportAsync("org-503", owner: owner)).GetProperty("id").GetString()!;

        await _host.AdvanceUntilAsync(
            async () => await _host.WithDbAsync(db => db.Entities.AsNoTracking().AnyAsync(e => e.PlatformId == pid && e.Status == "active")),
            TimeSpan.FromMilliseconds(500), "the default entity to become active");
        var entity = await _host.WithDbAsync(db => db.Entities.AsNoTracking().SingleAsync(e => e.PlatformId == pid));
        Assert.Equal(entity.Id, entity.IamOrgId);
        Assert.Null(entity.LastError);
        Assert.Equal("default", _host.IamScalar("SELECT slug FROM organizations WHERE id = $id AND platform_id = $p", ("$id", entity.Id), ("$p", pid)));
        Assert.Equal("1", _host.IamScalar("SELECT COUNT(*) FROM organizations WHERE platform_id = $p", ("$p", pid)));
        Assert.Equal(3, _faults.Seen.Count(s => s == "POST /api/nno/organizations") - 1);
        await _host.AdvanceUntilAsync(
            () => Task.FromResult(_host.IamScalar("SELECT role FROM platform_members WHERE platform_id = $p AND user_id = $u", ("$p", pid), ("$u", owner)) == "owner"),
            TimeSpan.FromSeconds(1), "the owner membership");
    }
}
