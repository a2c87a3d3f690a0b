using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Nno.Core.Services;
using Nno.ServiceDefaults.Bindings;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Security;
using Nno.Testing;

namespace Nno.ServiceDefaults.Tests.Bindings;

/// <summary>The in-memory service binding behaves like a real server: streaming both ways, callbacks, cancellation, failures.</summary>
public sealed class InMemoryHttpHandlerTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private readonly TaskCompletionSource _releaseSecondChunk = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<bool> _onCompleted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _slowCancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _streamAborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var module = new NnoServiceModule(
            new NnoServiceInfo("probe", 0, "NNO_PROBE", "NNO_PROBE_URL", null),
            _ => { },
            Map);
        _app = NnoApplication.Build(module, new NnoApplicationSettings
        {
            Listen = false,
            Settings = new Dictionary<string, string?> { ["Nno:DataDir"] = _data.Path, ["Logging:LogLevel:Default"] = "None" },
            ConfigurePipeline = app => app.Use(async (context, next) =>
            {
                if (context.Request.Path == "/raw-boom")
                {
                    throw new InvalidOperationException("escaped every middleware");
                }

                await next(context);
            }),
        });
        await _app.StartAsync();
        _client = new HttpClient(_app.GetInMemoryServer().CreateHandler("probe")) { BaseAddress = new Uri("http://probe.inproc/") };
    }

    private void Map(WebApplication app)
    {
        app.MapGet("/stream", async (HttpContext context) =>
        {
            await context.Response.WriteAsync("first;");
            await context.Response.Body.FlushAsync();
            await _releaseSecondChunk.Task;
            await context.Response.WriteAsync("second");
        }).AllowWithoutServiceToken();

        app.MapPost("/echo", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            context.Response.ContentType = "application/octet-stream";
            context.Response.Headers["X-Query"] = context.Request.QueryString.Value;
            await context.Response.Body.WriteAsync(buffer.ToArray());
        }).AllowWithoutServiceToken();

        app.MapGet("/callbacks", (HttpContext context) =>
        {
            context.Response.OnStarting(() =>
            {
                context.Response.Headers["X-On-Starting"] = "fired";
                return Task.CompletedTask;
            });
            context.Response.OnCompleted(() =>
            {
                _onCompleted.TrySetResult(true);
                return Task.CompletedTask;
            });
            return Results.Text("ok");
        }).AllowWithoutServiceToken();

        app.MapGet("/slow", async (HttpContext context) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                _slowCancelled.TrySetResult();
                throw;
            }
        }).AllowWithoutServiceToken();

        app.MapGet("/endless", async (HttpContext context) =>
        {
            var chunk = new byte[16 * 1024];
            try
            {
                while (!context.RequestAborted.IsCancellationRequested)
                {
                    await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
            }

            _streamAborted.TrySetResult();
        }).AllowWithoutServiceToken();

        app.MapGet("/large", () => Results.Bytes(new byte[300 * 1024], "application/octet-stream")).AllowWithoutServiceToken();
    }

    [Fact]
    public async Task Response_FlushedChunk_ReachesCallerBeforeTheApplicationFinishes()
    {
        using var response = await _client.GetAsync(new Uri("/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64];
        var read = await body.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("first;", Encoding.UTF8.GetString(buffer, 0, read));

        _releaseSecondChunk.SetResult();
        using var reader = new StreamReader(body);
        Assert.Equal("second", await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task RequestBody_StreamedContentOfOneMebibyte_ArrivesWhole()
    {
        var payload = new byte[1024 * 1024];
        Random.Shared.NextBytes(payload);
        using var content = new StreamContent(new MemoryStream(payload));
        using var response = await _client.PostAsync(new Uri("/echo?a=%2F&b=+&c=%C3%A9&d", UriKind.Relative), content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(payload, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("?a=%2F&b=+&c=%C3%A9&d", response.Headers.GetValues("X-Query").Single());
    }

    [Fact]
    public async Task Response_LargerThanTheBuffer_IsDeliveredWhole()
    {
        var bytes = await _client.GetByteArrayAsync(new Uri("/large", UriKind.Relative));
        Assert.Equal(300 * 1024, bytes.Length);
    }

    [Fact]
    public async Task Callbacks_OnStartingAndOnCompleted_FireAsOnKestrel()
    {
        using var response = await _client.GetAsync(new Uri("/callbacks", UriKind.Relative));
        Assert.Equal("fired", response.Headers.GetValues("X-On-Starting").Single());
        Assert.True(await _onCompleted.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Cancellation_ByTheCaller_AbortsTheRequest()
    {
        using var cts = new CancellationTokenSource();
        var call = _client.GetAsync(new Uri("/slow", UriKind.Relative), cts.Token);
        await Task.Delay(50);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await _slowCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task StreamingResponse_DisposedEarlyByTheCaller_AbortsTheApplication()
    {
        using (var response = await _client.GetAsync(new Uri("/endless", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead))
        {
            await using var body = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[1024];
            _ = await body.ReadAsync(buffer);
        }

        await _streamAborted.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task UnhandledException_BeforeTheResponseStarted_IsABare500LikeARealServer()
    {
        using var response = await _client.GetAsync(new Uri("/raw-boom", UriKind.Relative));
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Directory_ServiceNotRegistered_FailsAsAConnectionError()
    {
        var directory = new ServiceDirectory();
        using var client = new HttpClient(directory.CreateHandler("missing")) { BaseAddress = new Uri("http://missing.inproc/") };
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("/health", UriKind.Relative)));
        Assert.Equal(HttpRequestError.ConnectionError, error.HttpRequestError);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        _releaseSecondChunk.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _data.Dispose();
    }
}
