using System.Diagnostics;
using System.Net;
using Nno.Gateway.Routing;
using Nno.ServiceDefaults.Bindings;
using Yarp.ReverseProxy.Forwarder;

namespace Nno.Gateway.Forwarding;

/// <summary>
/// The transport of each cluster (gateway.md §4.10): the in-memory binding into the service's pipeline when the service
/// runs in this process, plain HTTP with a 5 s connect timeout when its <c>NNO_*_URL</c> is configured. No retries, no
/// redirects, no cookies, no decompression; <c>traceparent</c> is written by the gateway, not by the handler.
/// </summary>
internal sealed class ServiceForwarderHttpClientFactory(GatewayRouteTable table, ServiceBindingOptions bindings, ServiceDirectory? directory = null)
    : IForwarderHttpClientFactory
{
    public HttpMessageInvoker CreateClient(ForwarderHttpClientContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.OldClient is not null && context.NewConfig == context.OldConfig)
        {
            return context.OldClient;
        }

        var service = table.Get(context.ClusterId).Service;
        return new HttpMessageInvoker(CreateHandler(service), disposeHandler: true);
    }

    private HttpMessageHandler CreateHandler(string service)
    {
        if (!bindings.Urls.ContainsKey(service) && directory is not null)
        {
            return directory.CreateHandler(service);
        }

        return new SocketsHttpHandler
        {
            ConnectTimeout = bindings.ConnectTimeout,
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            EnableMultipleHttp2Connections = true,
            ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator(),
        };
    }
}
