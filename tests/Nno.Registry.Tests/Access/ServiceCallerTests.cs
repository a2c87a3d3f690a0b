using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Nno.Core.Errors;
using Nno.Registry.Access;
using Nno.Registry.Audit;
using Nno.Registry.Data;
using Nno.Registry.Tests.Support;
using Nno.ServiceDefaults.Security;

namespace Nno.Registry.Tests.Access;

/// <summary>
/// The <c>svc(x)</c> level of registry.md §3.1 as later routes will use it: a service named by a route acts as itself
/// (actor <c>svc:x</c>, acting user recorded), sees deleted platforms and passes the first two status gates.
/// </summary>
public sealed class ServiceCallerTests : IAsyncLifetime
{
    private RegistryHost _host = null!;

    public async Task InitializeAsync() => _host = await RegistryHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static DefaultHttpContext ServiceContext(string service, string? actingUserId)
    {
        var context = new DefaultHttpContext();
        context.SetNnoPrincipal(new NnoPrincipal
        {
            Kind = PrincipalKind.Service, CallerService = service, UserId = "svc:" + service, Role = "service", ActingUserId = actingUserId,
        });
        return context;
    }

    [Fact]
    public async Task Service_SeesDeletedPlatform_PassesSuspendedGate_NotInactive_AndIsAttributed()
    {
        var pid = (await _host.ImportAsync("servable")).GetProperty("id").GetString()!;
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
        var context = ServiceContext("provisioning", "usr_actor");

        await _host.SetStatusAsync(pid, "suspended");
        var grant = await new PlatformAccess(db).RequireAsync(context, pid, AccessNeed.Manage, CancellationToken.None);
        Assert.Equal(AccessLevel.Service, grant.Level);
        PlatformStatusGate.RequireWritable(grant);
        Assert.Equal(("service", "svc:provisioning", "service", "usr_actor"), (grant.Caller.ActorType, grant.Caller.ActorId, grant.Caller.ActorAuth, grant.Caller.ActingUserId));

        await _host.SetStatusAsync(pid, "deleted");
        var deleted = await new PlatformAccess(db).RequireAsync(context, pid, AccessNeed.Read, CancellationToken.None);
        var inactive = Assert.Throws<ApiException>(() => PlatformStatusGate.RequireWritable(deleted));
        Assert.Equal(ErrorCodes.PlatformInactive, inactive.Code);
    }

    [Fact]
    public async Task Service_MalformedOrUnknownId_Is404Platform()
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var access = new PlatformAccess(scope.ServiceProvider.GetRequiredService<RegistryDbContext>());
        foreach (var id in new[] { "BAD", "zz99zz99zz" })
        {
            var error = await Assert.ThrowsAsync<ApiException>(() => access.RequireAsync(ServiceContext("provisioning", null), id, AccessNeed.Read, CancellationToken.None));
            Assert.Equal((int)HttpStatusCode.NotFound, error.Status);
        }
    }

    [Fact]
    public void AuditDetails_RecordTheActingUser()
    {
        var details = JsonDocument.Parse(AuditDetails.Serialize(new { field = "x" }, "usr_actor")).RootElement;
        Assert.Equal(("x", "usr_actor"), (details.GetProperty("field").GetString(), details.GetProperty("actingUserId").GetString()));
    }
}
