namespace Nno.Gateway.Tests.Support;

/// <summary>Finding the gateway's access-log line of one request.</summary>
public static class AccessLogs
{
    public const string Category = "Nno.Gateway.AccessLog";

    /// <summary>The access-log line of <paramref name="requestId"/>; written when the response completes, so it may trail the response.</summary>
    public static async Task<CapturedLog> ForAsync(LogSink logs, string requestId)
    {
        for (var i = 0; i < 200; i++)
        {
            var entry = logs.Entries.SingleOrDefault(e => e.Category == Category && Equals(e.Field("scope:requestId"), requestId));
            if (entry is not null)
            {
                return entry;
            }

            await Task.Delay(25);
        }

        throw new Xunit.Sdk.XunitException($"No access-log line for {requestId}.");
    }
}
