using System.Diagnostics;
using Nno.Host;
using Nno.ServiceDefaults.Hosting;

// nno host: all-in-one by default; `--service <name>` runs one service (distributed mode).
var serviceIndex = Array.IndexOf(args, "--service");
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.Error.WriteLine("""
        Usage: Nno.Host [--service <name>] [--Nno:Environment=local|dev|stg|prod] [--Nno:DataDir=<dir>] [--Nno:Ports:<service>=<port>]

          (no --service)   all-in-one: every service in this process, in-memory bindings, embedded storage
          --service <name> one service for distributed deployments: iam, registry, billing, provisioning,
                           stack-registry, cli, gateway (bindings over HTTP from NNO_*_URL)
        """);
    return 0;
}

if (serviceIndex >= 0)
{
    if (serviceIndex + 1 >= args.Length || ServiceCatalog.Find(args[serviceIndex + 1]) is not { } module)
    {
        Console.Error.WriteLine($"Unknown service. Choose one of: {string.Join(", ", ServiceCatalog.All.Select(m => m.Info.Name))}.");
        return 2;
    }

    var rest = args.Where((_, i) => i != serviceIndex && i != serviceIndex + 1).ToArray();
    var app = NnoApplication.Build(module, new NnoApplicationSettings { Args = rest });
    await app.RunAsync();
    return 0;
}

var clock = Stopwatch.StartNew();
await using var host = PlatformHost.Build(new PlatformHostSettings { Args = args });
await host.StartAsync();
Console.Error.WriteLine($"NNO all-in-one ({host.Environment}) started in {clock.Elapsed.TotalSeconds:0.0} s; data in {host.DataDir}");
foreach (var line in host.DescribeAddresses())
{
    Console.Error.WriteLine(line);
}

Console.Error.WriteLine("Press Ctrl+C to stop.");
await PlatformHost.WaitForShutdownSignalAsync();
Console.Error.WriteLine("Stopping…");
await host.StopAsync();
return 0;
