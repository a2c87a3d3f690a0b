using System.Diagnostics;

namespace Nno.Storage.Tests;

/// <summary>Runs tests/Nno.Storage.KillHelper (built beside this assembly) as a real child process and kills it.</summary>
internal static class KillHelper
{
    /// <summary>Starts a consumer process that leases up to <paramref name="maxMessages"/>, waits until it says so, kills it, and returns the leased ids.</summary>
    public static async Task<IReadOnlyList<string>> ClaimThenKillAsync(string dataDir, string queue, int maxMessages, int visibilitySeconds)
    {
        var helper = Path.Combine(AppContext.BaseDirectory, "Nno.Storage.KillHelper.dll");
        Assert.True(File.Exists(helper), $"{helper} is missing: the test project references the helper project so it is built beside the tests.");
        // The CLI that runs the tests sets DOTNET_HOST_PATH to itself; fall back to the muxer on PATH.
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { helper, dataDir, queue, maxMessages.ToString(System.Globalization.CultureInfo.InvariantCulture), visibilitySeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the kill helper.");
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            string? line;
            while ((line = await process.StandardOutput.ReadLineAsync(timeout.Token)) is not null)
            {
                if (line.StartsWith("CLAIMED ", StringComparison.Ordinal))
                {
                    break;
                }
            }

            if (line is null)
            {
                var error = await process.StandardError.ReadToEndAsync(timeout.Token);
                throw new InvalidOperationException($"The kill helper exited without claiming: {error}");
            }

            // The helper is alive and holds its lease: kill it the hard way (no finally blocks, no dispose).
            Assert.False(process.HasExited);
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(timeout.Token);
            var ids = line["CLAIMED ".Length..];
            return ids.Length == 0 ? [] : ids.Split(',');
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
