using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Nno.Iam.Tests.Mail;

/// <summary>One request the fake Resend API received.</summary>
internal sealed record ResendRequest(string Path, string? Authorization, string? IdempotencyKey, string? ContentType, string Body);

/// <summary>
/// Resend's <c>POST /emails</c> on a free 127.0.0.1 port. Each request takes the next scripted reply (status and optional
/// Retry-After); once the script is used up it answers 200 <c>{"id":…}</c>.
/// </summary>
internal sealed class FakeResendServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeResendServer(WebApplication app) => _app = app;

    public ConcurrentQueue<ResendRequest> Requests { get; } = new();

    public ConcurrentQueue<(int Status, string? RetryAfter)> Script { get; } = new();

    public string BaseUrl => _app.Urls.Single();

    public static async Task<FakeResendServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FakeResendServer(app);
        app.MapPost("/emails", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            server.Requests.Enqueue(new ResendRequest(
                context.Request.Path,
                context.Request.Headers.Authorization.ToString(),
                context.Request.Headers["Idempotency-Key"].ToString(),
                context.Request.ContentType,
                await reader.ReadToEndAsync()));
            if (server.Script.TryDequeue(out var reply))
            {
                if (reply.RetryAfter is not null)
                {
                    context.Response.Headers.RetryAfter = reply.RetryAfter;
                }

                return Results.Json(new { statusCode = reply.Status, name = reply.Status == 422 ? "validation_error" : "application_error", message = "scripted" }, statusCode: reply.Status);
            }

            return Results.Json(new { id = Guid.NewGuid().ToString() }, statusCode: (int)HttpStatusCode.OK);
        });
        await app.StartAsync();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
