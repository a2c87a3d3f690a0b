using System.Diagnostics;
using System.Text;
using Nno.Core.Services;
using Nno.Testing;

namespace Nno.EndToEnd.Tests;

/// <summary>
/// The real <c>Nno.Host</c> executable started as a child process on free ports and a given data directory, as a user
/// would run it. Captures stdout (NDJSON logs) and stderr (the start banner).
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();

    private HostProcess(Process process, IReadOnlyDictionary<string, int> ports)
    {
        _process = process;
        Ports = ports;
    }

    /// <summary>The port of every service, by service name.</summary>
    public IReadOnlyDictionary<string, int> Ports { get; }

    public Uri Url(string service) => new($"http://127.0.0.1:{Ports[service]}/");

    public string Stdout
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Picks free ports and starts the all-in-one host.</summary>
    public static HostProcess Start(string dataDir, IReadOnlyDictionary<string, int>? ports = null) =>
        Start(dataDir, ports ?? NnoServices.All.ToDictionary(s => s.Name, _ => FreePort.Get()), service: null, environment: null);

    /// <summary>Starts one service (distributed mode) on <paramref name="port"/> with the given environment variables.</summary>
    public static HostProcess StartService(string dataDir, string service, int port, IReadOnlyDictionary<string, string> environment) =>
        Start(dataDir, new Dictionary<string, int> { [service] = port }, service, environment);

    private static HostProcess Start(string dataDir, IReadOnlyDictionary<string, int> ports, string? service, IReadOnlyDictionary<string, string>? environment)
    {
        var hostDll = Path.Combine(AppContext.BaseDirectory, "Nno.Host.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = dataDir,
        };
        start.ArgumentList.Add(hostDll);
        if (service is not null)
        {
            start.ArgumentList.Add("--service");
            start.ArgumentList.Add(service);
        }

        start.ArgumentList.Add($"--Nno:DataDir={dataDir}");
        start.ArgumentList.Add("--Nno:Environment=local");
        foreach (var (name, port) in ports)
        {
            start.ArgumentList.Add($"--Nno:Ports:{name}={port}");
        }

        if (service is null && !ports.ContainsKey("sandbox"))
        {
            // The all-in-one host starts the Sandbox in local: a free port keeps parallel hosts off 8799.
            start.ArgumentList.Add($"--Nno:Ports:sandbox={FreePort.Get()}");
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var host = new HostProcess(process, ports);
        process.OutputDataReceived += (_, e) => host.Append(host._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(host._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    private void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            target.AppendLine(line);
        }
    }

    /// <summary>Waits until every service answers <c>/health</c> on its port.</summary>
    public async Task WaitUntilHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        foreach (var (service, _) in Ports)
        {
            while (true)
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"The host exited with {_process.ExitCode}.\nstderr:\n{Stderr}\nstdout:\n{Tail(Stdout)}");
                }

                try
                {
                    using var response = await http.GetAsync(new Uri(Url(service), "health"));
                    if (response.IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException)
                {
                }

                if (deadline.Elapsed > timeout)
                {
                    throw new TimeoutException($"{service} did not become healthy within {timeout}.\nstderr:\n{Stderr}\nstdout:\n{Tail(Stdout)}");
                }

                await Task.Delay(50);
            }
        }
    }

    /// <summary>Kills the process at once (no graceful shutdown), as a crash or <c>kill -9</c> would.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>Sends SIGTERM and waits for the process to end.</summary>
    public async Task<bool> TerminateAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return true;
        }

        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private static string Tail(string text) => text.Length > 4000 ? text[^4000..] : text;
}
