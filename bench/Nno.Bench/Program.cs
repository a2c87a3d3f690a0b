using Nno.Bench.Gateway;

// The first argument picks the benchmark; the rest are its options.
return args.FirstOrDefault() switch
{
    "gateway" => await GatewayThroughput.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Nno.Bench gateway [--concurrency N] [--warmup s] [--duration s] [--rounds N] [--access-log]");
    return 2;
}
