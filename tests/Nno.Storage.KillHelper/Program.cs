using Microsoft.Extensions.Options;
using Nno.Storage;
using Nno.Storage.Sqlite;

// A consumer that dies holding its batch: the queue tests start it, wait for "CLAIMED", then kill the process.
// Usage: Nno.Storage.KillHelper <dataDir> <queue> <maxMessages> <visibilityTimeoutSeconds>
if (args.Length != 4)
{
    Console.Error.WriteLine("usage: Nno.Storage.KillHelper <dataDir> <queue> <maxMessages> <visibilityTimeoutSeconds>");
    return 2;
}

var options = new NnoStorageOptions { DataDir = args[0] };
using var store = new SqliteQueueStore(Options.Create(options), TimeProvider.System);
var queueOptions = store.GetOptions(args[1]).Clone();
queueOptions.VisibilityTimeout = TimeSpan.FromSeconds(int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
var consumer = store.GetConsumer(args[1], queueOptions);
var batch = await consumer.ReceiveAvailableAsync(int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
Console.Out.WriteLine("CLAIMED " + string.Join(",", batch.Messages.Select(m => m.Id)));
Console.Out.Flush();
// Hold the lease until killed; never ack or retry.
await Task.Delay(Timeout.Infinite);
return 0;
