using System.Net;
using System.Net.Sockets;

namespace Nno.Testing;

/// <summary>Free TCP ports on 127.0.0.1.</summary>
public static class FreePort
{
    public static int Get()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
