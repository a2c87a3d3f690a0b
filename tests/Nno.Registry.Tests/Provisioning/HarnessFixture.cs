using Nno.Registry.Tests.Support;

namespace Nno.Registry.Tests.Provisioning;

/// <summary>One harness per test class; each test uses its own platforms, so calls are told apart by platform id.</summary>
public sealed class HarnessFixture : IAsyncLifetime
{
    public ProvisioningHarness Harness { get; private set; } = null!;

    public async Task InitializeAsync() => Harness = await ProvisioningHarness.StartAsync();

    public async Task DisposeAsync() => await Harness.DisposeAsync();
}

internal static class CallFilters
{
    public static IReadOnlyList<ProvisioningCall> For(this FakeProvisioning fake, string pathPrefix, string pid) =>
        fake.CallsTo(pathPrefix).Where(c => c.Body.Contains(pid, StringComparison.Ordinal) || c.Path.Contains(pid, StringComparison.Ordinal)).ToList();

    public static async Task<ProvisioningCall> CallForAsync(this ProvisioningHarness harness, string pathPrefix, string pid, int count = 1)
    {
        await OutboxTestKit.EventuallyAsync(() => Task.FromResult(harness.Provisioning.For(pathPrefix, pid).Count >= count), $"call {count} to {pathPrefix} for {pid}");
        return harness.Provisioning.For(pathPrefix, pid)[count - 1];
    }
}
