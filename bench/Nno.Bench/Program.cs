using Nno.Bench.Queue;

// Benchmarks: the first argument selects one, the rest are its options.
return args.Length == 0 ? Usage() : args[0] switch
{
    "queue" => await QueueThroughput.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        Usage: dotnet run -c Release --project bench/Nno.Bench -- <benchmark> [options]

          queue [--messages N] [--send-batch N] [--consume-batch N] [--consumers N] [--synchronous normal|full]
                embedded queue throughput (SQLite file in a temp directory, real clock)
        """);
    return 2;
}
