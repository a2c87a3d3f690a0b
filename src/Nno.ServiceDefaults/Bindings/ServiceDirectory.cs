using System.Collections.Concurrent;

namespace Nno.ServiceDefaults.Bindings;

/// <summary>
/// The services running in this process (all-in-one mode), by service name. Shared by every application the host
/// builds, so a binding can reach another application's pipeline in memory.
/// </summary>
public sealed class ServiceDirectory
{
    private readonly ConcurrentDictionary<string, InMemoryServer> _servers = new(StringComparer.Ordinal);

    /// <summary>The gateway's eviction channel shared by every application of this process (gateway.md §4.3).</summary>
    public Evictions.InProcessCredentialEvictionChannel Evictions { get; } = new();

    public void Register(string service, InMemoryServer server) => _servers[service] = server;

    public bool TryGet(string service, out InMemoryServer server) => _servers.TryGetValue(service, out server!);

    /// <summary>A handler into <paramref name="service"/>; it fails as a connect failure while the service is not present or not started.</summary>
    public HttpMessageHandler CreateHandler(string service) => new DirectoryHandler(this, service);

    private sealed class DirectoryHandler(ServiceDirectory directory, string service) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (!directory.TryGet(service, out var server) || !server.IsStarted)
            {
                throw new HttpRequestException(HttpRequestError.ConnectionError, $"The {service} service is not available in this process.");
            }

            return InMemoryHttpHandler.SendAsync(server, service, request, cancellationToken);
        }
    }
}
