using Nno.Bench.Gateway;
using Nno.Bench.Iam;
using Nno.Bench.Provisioning;
using Nno.Bench.Queue;
using Nno.Bench.Registry;

// Benchmarks: the first argument selects one, the rest are its options.
return args.FirstOrDefault() switch
{
    "queue" => await QueueThroughput.RunAsync(args[1..]),
    "gateway" => await GatewayThroughput.RunAsync(args[1..]),
    "session" => await SessionValidation.RunAsync(args[1..]),
    "gateway-auth" => await GatewayAuthThroughput.RunAsync(args[1..]),
    "gateway-protection" => await GatewayProtectionThroughput.RunAsync(args[1..]),
    "registry-list" => await PlatformListLatency.RunAsync(args[1..]),
    "provision-bootstrap" => await ProvisionBootstrap.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        Usage: dotnet run -c Release --project bench/Nno.Bench -- <benchmark> [options]

          queue   [--messages N] [--send-batch N] [--consume-batch N] [--consumers N] [--synchronous normal|full]
                  embedded queue throughput (SQLite file in a temp directory, real clock)
          gateway [--concurrency N] [--warmup s] [--duration s] [--rounds N] [--access-log]
                  a trivial upstream called directly, through the gateway in memory, and through the gateway over HTTP
          session [--users N] [--sessions-per-user N] [--concurrency N] [--duration s] [--signin-duration s] [--iterations N]
                  IAM session validation on a gateway cache miss (10k users, 50k sessions) and sign-in with production hashing
          gateway-auth [--concurrency N] [--warmup s] [--duration s] [--rounds N]
                  the same upstream through the gateway: public route vs session on a credential-cache hit vs static key
          gateway-protection [--concurrency N] [--warmup s] [--duration s] [--rounds N]
                  a platform route by session and by API key: authentication only vs the full chain (scope, status, rate limits)
          registry-list [--requests N] [--rounds N] [--limit N] [--small N] [--large N]
                  GET /api/v1/platforms page latency as an operator with 1,000 vs 100,000 platforms in the Registry
          provision-bootstrap [--jobs N] [--window s] [--timeout s] [--only a|b]
                  100 platform bootstraps at once against the Cloudflare emulator: raised budget (time to COMPLETED), default budget (429s, budget use)
        """);
    return 2;
}
