using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Nno.Gateway.Tests.Support;

/// <summary>
/// Stands in front of every upstream service's pipeline: records each request exactly as received (method, raw path,
/// raw query, headers, body bytes) and answers it itself, by default with a JSON echo. The request header
/// <c>X-Test-Scenario</c> picks another answer (slow, 5xx, odd headers…).
/// </summary>
public sealed class UpstreamRecorder
{
    public const string ScenarioHeader = "X-Test-Scenario";
    public const string EnvelopeBody = """{"error":{"code":"INTERNAL_ERROR","message":"boom","details":{"where":"upstream"},"requestId":"up-1"}}""";
    public const string NotFoundBody = "{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"no such platform \\u00e9\",\"details\":null,\"requestId\":\"up-2\"}}  ";
    public const string ConflictBody = "{\"error\" : {\"code\":\"CONFLICT\",\"message\":\"taken\",\"details\":{\"id\":\"x\"},\"requestId\":\"up-3\"}}\n";

    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    /// <summary>Installs the recorder in front of <paramref name="service"/>'s pipeline; <paramref name="passThrough"/> requests reach the real one.</summary>
    public void Install(string service, WebApplication app, Func<HttpContext, bool>? passThrough = null) =>
        app.Use((HttpContext context, RequestDelegate next) => passThrough?.Invoke(context) == true ? next(context) : HandleAsync(service, context));

    /// <summary>Every request received so far.</summary>
    public IReadOnlyList<RecordedRequest> All => _requests.ToArray();

    /// <summary>Requests received so far that carried <paramref name="requestId"/> as <c>X-Request-Id</c>.</summary>
    public IReadOnlyList<RecordedRequest> For(string requestId) =>
        _requests.Where(r => r.Header("X-Request-Id") == requestId).ToList();

    /// <summary>The single request that carried <paramref name="requestId"/>.</summary>
    public RecordedRequest One(string requestId) => Assert.Single(For(requestId));

    private async Task HandleAsync(string service, HttpContext context)
    {
        var request = context.Request;
        var scenario = request.Headers[ScenarioHeader].ToString();
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "";
        var q = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);

        if (scenario == "sleep")
        {
            _requests.Enqueue(new RecordedRequest(service, request.Method, q >= 0 ? rawTarget[..q] : rawTarget, q >= 0 ? rawTarget[q..] : "", headers, []));
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, context.RequestAborted);
        _requests.Enqueue(new RecordedRequest(service, request.Method, q >= 0 ? rawTarget[..q] : rawTarget, q >= 0 ? rawTarget[q..] : "", headers, body.ToArray()));

        var response = context.Response;
        switch (scenario)
        {
            case "500-envelope":
                await Write(response, 500, "application/json", EnvelopeBody);
                return;
            case "500-html":
                await Write(response, 500, "text/html", "<html><body>Internal Server Error</body></html>");
                return;
            case "503-json-not-envelope":
                await Write(response, 503, "application/json", """{"error":"down"}""");
                return;
            case "404-body":
                await Write(response, 404, "application/json", NotFoundBody);
                return;
            case "409-body":
                await Write(response, 409, "application/json; charset=utf-8", ConflictBody);
                return;
            case "404-empty":
                response.StatusCode = 404;
                return;
            case "hop-by-hop":
                response.Headers.Connection = "x-secret, keep-alive";
                response.Headers["X-Secret"] = "1";
                response.Headers["X-Nno-Internal"] = "1";
                response.Headers["x-nno-cache-evict"] = "session=abc";
                response.Headers["Server"] = "upstream-kestrel";
                response.Headers["X-Powered-By"] = "upstream";
                response.Headers["Keep-Alive"] = "timeout=5";
                response.Headers["X-Kept"] = "kept";
                response.Headers["X-Empty"] = "";
                break;
            case "set-cookie":
                response.Headers.SetCookie = "upstream_session=abc; Path=/; HttpOnly";
                break;
            case "cors-headers":
                // An upstream that answers CORS itself: the gateway owns CORS and drops all of it.
                response.Headers.AccessControlAllowOrigin = "*";
                response.Headers.AccessControlAllowCredentials = "true";
                response.Headers.AccessControlExposeHeaders = "X-Upstream-Secret";
                response.Headers["access-control-allow-private-network"] = "true";
                response.Headers.Vary = "Accept-Encoding";
                break;
            case "non-ascii-header":
                response.Headers["X-Weird"] = "caf\u00e9";
                break;
        }

        await WriteEcho(response, service, request.Method, q >= 0 ? rawTarget[..q] : rawTarget, body.Length);
    }

    private static async Task WriteEcho(HttpResponse response, string service, string method, string path, long bodyLength)
    {
        response.StatusCode = 200;
        response.ContentType = "application/json";
        await response.WriteAsync(JsonSerializer.Serialize(new { service, method, path, bodyLength }));
    }

    private static async Task Write(HttpResponse response, int status, string contentType, string body)
    {
        response.StatusCode = status;
        response.ContentType = contentType;
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(body));
    }
}
