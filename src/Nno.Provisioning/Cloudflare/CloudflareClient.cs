using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Polly.Timeout;

namespace Nno.Provisioning.Cloudflare;

/// <summary>
/// The typed Cloudflare REST v4 client (provisioning.md §5): one method per call of §4.2–4.5. It unwraps the envelope
/// <c>{success, errors, messages, result, result_info}</c>, turns every failure into <see cref="CloudflareApiException"/>,
/// validates ids in answers, and logs method, path, status and ray id (never the token, bodies or secret values).
/// Every call draws one permit of the request budget (<see cref="CloudflareBudgetHandler"/>, which may throw
/// <see cref="CloudflareBudgetExhaustedException"/>); only GETs are retried here, writes are retried by the job steps.
/// </summary>
public sealed partial class CloudflareClient
{
    /// <summary>Name of the underlying <see cref="HttpClient"/> registration (tests may swap its primary handler).</summary>
    public const string HttpClientName = "cloudflare";

    private const int ListPageSize = 100;
    private const int MaxListPages = 100;

    private readonly HttpClient _http;
    private readonly ILogger<CloudflareClient> _logger;
    private readonly TimeProvider _time;

    /// <summary>Created by the HTTP client factory (typed client).</summary>
    public CloudflareClient(HttpClient http, CloudflareOptions options, TimeProvider time, ILogger<CloudflareClient> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _time = time;
        _logger = logger;
        Options = options;
        Urls = new CloudflareUrls(options.AccountId, options.ZoneId);
    }

    /// <summary>The settings this client uses (account and zone ids, budget).</summary>
    public CloudflareOptions Options { get; }

    /// <summary>The path builder of this client's account and zone.</summary>
    public CloudflareUrls Urls { get; }

    /// <summary>How Cloudflare JSON is read and written (snake_case, unknown fields ignored).</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    // ---- core ----

    private Task<Envelope> GetAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, ct);

    private Task<Envelope> DeleteAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Delete, path, null, ct);

    private Task<Envelope> PostJsonAsync(string path, object body, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, path, JsonBody(body), ct);

    private Task<Envelope> PutJsonAsync(string path, object body, CancellationToken ct) =>
        SendAsync(HttpMethod.Put, path, JsonBody(body), ct);

    private static ByteArrayContent JsonBody(object body)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Json));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    /// <summary>Sends one call and returns its envelope; anything but a successful envelope throws.</summary>
    private async Task<Envelope> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        var logPath = LogPath(path);
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = content };
        var started = Stopwatch.GetTimestamp();
        HttpResponseMessage response;
        byte[] body;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
            body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException ex)
        {
            throw Failure(CloudflareFailureKind.Timeout, method, logPath, null, [], null, null, $"no answer within {Options.RequestTimeout.TotalSeconds:0} s", ex);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw Failure(CloudflareFailureKind.Timeout, method, logPath, null, [], null, null, "the call timed out", ex);
        }
        catch (HttpRequestException ex)
        {
            throw Failure(CloudflareFailureKind.Network, method, logPath, null, [], null, null, "network error: " + ex.Message, ex);
        }
        catch (IOException ex)
        {
            throw Failure(CloudflareFailureKind.Network, method, logPath, null, [], null, null, "the answer was cut off: " + ex.Message, ex);
        }

        using (response)
        {
            var status = response.StatusCode;
            var rayId = RayId(response);
            var retryAfter = RetryAfter(response);
            LogCall(method.Method, logPath, (int)status, rayId, Stopwatch.GetElapsedTime(started));

            Envelope? envelope = null;
            try
            {
                envelope = JsonSerializer.Deserialize<Envelope>(body, Json);
            }
            catch (JsonException)
            {
                // Not the envelope (a proxy's HTML page, a cut body): handled below by status.
            }

            var errors = envelope?.Errors?.Select(e => new CloudflareError(e.Code, e.Message ?? "")).ToArray() ?? [];
            if (!response.IsSuccessStatusCode || envelope is { Success: false })
            {
                var message = errors.Length > 0
                    ? string.Join("; ", errors.Select(e => $"{e.Code} {e.Message}"))
                    : $"HTTP {(int)status}";
                throw Failure(CloudflareFailureKind.ApiError, method, logPath, status, errors, retryAfter, rayId, message);
            }

            return envelope is { Success: true }
                ? envelope with { RayId = rayId, Method = method.Method, Path = logPath }
                : throw Failure(CloudflareFailureKind.InvalidResponse, method, logPath, status, errors, null, rayId, "the answer is not a Cloudflare envelope");
        }
    }

    private CloudflareApiException Failure(CloudflareFailureKind kind, HttpMethod method, string path, HttpStatusCode? status,
        IReadOnlyList<CloudflareError> errors, TimeSpan? retryAfter, string? rayId, string detail, Exception? inner = null)
    {
        var statusText = status is { } s ? ((int)s).ToString(System.Globalization.CultureInfo.InvariantCulture) : kind.ToString().ToLowerInvariant();
        var message = $"Cloudflare {method.Method} {path} failed ({statusText}): {detail}" + (rayId is null ? "" : $" [ray {rayId}]");
        if (kind != CloudflareFailureKind.ApiError)
        {
            LogFailure(method.Method, path, kind.ToString());
        }

        return new CloudflareApiException(kind, method.Method, path, status, errors, retryAfter, rayId, message, inner);
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - _time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    internal static string? RayId(HttpResponseMessage response) =>
        response.Headers.TryGetValues("CF-Ray", out var values) ? values.FirstOrDefault() : null;

    /// <summary>The path as logged: no query string (it may carry hostnames or key prefixes, never needed to debug).</summary>
    private static string LogPath(string path)
    {
        var q = path.IndexOf('?', StringComparison.Ordinal);
        return q < 0 ? path : path[..q];
    }

    /// <summary>The envelope's <c>result</c> as <typeparamref name="T"/>; a missing or mistyped result is an invalid answer.</summary>
    private T Result<T>(Envelope envelope)
    {
        if (envelope.Result is not { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } result)
        {
            throw Invalid(envelope, "the answer has no result");
        }

        try
        {
            return result.Deserialize<T>(Json) ?? throw Invalid(envelope, "the answer has no result");
        }
        catch (JsonException ex)
        {
            throw Invalid(envelope, "the result has an unexpected shape: " + ex.Message);
        }
    }

    private CloudflareApiException Invalid(Envelope envelope, string detail) =>
        Failure(CloudflareFailureKind.InvalidResponse, new HttpMethod(envelope.Method ?? "GET"), envelope.Path ?? "", HttpStatusCode.OK, [], null, envelope.RayId, detail);

    /// <summary>Returns <paramref name="id"/> when it has the shape of a Cloudflare id; otherwise the answer is refused.</summary>
    private string RequireId(Envelope envelope, string? id, string what) =>
        CloudflareIds.IsValid(id) ? id! : throw Invalid(envelope, $"{what} is not a valid Cloudflare id");

    /// <summary>Returns <paramref name="actual"/> when it equals the name NNO asked for; otherwise the answer is refused.</summary>
    private string RequireName(Envelope envelope, string? actual, string expected, string what) =>
        string.Equals(actual, expected, StringComparison.Ordinal) ? actual! : throw Invalid(envelope, $"{what} \"{actual}\" is not the requested \"{expected}\"");

    /// <summary>Runs <paramref name="call"/>; a not-found answer becomes null (the "absent" of an existence check).</summary>
    private static async Task<T?> OrNullWhenNotFound<T>(Func<Task<T>> call) where T : class
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (CloudflareApiException ex) when (ex.Kind == CloudflareFailureKind.ApiError && ex.IsNotFound)
        {
            return null;
        }
    }

    /// <summary>Runs a delete; true when it deleted, false when the object was already gone (undo of something gone is success).</summary>
    private async Task<bool> DeleteIfExistsAsync(string path, CancellationToken ct)
    {
        try
        {
            await DeleteAsync(path, ct).ConfigureAwait(false);
            return true;
        }
        catch (CloudflareApiException ex) when (ex.Kind == CloudflareFailureKind.ApiError && ex.IsNotFound)
        {
            return false;
        }
    }

    /// <summary>Every item of a page-numbered list (bounded), for the few lists NNO reads after a conflict.</summary>
    private async Task<IReadOnlyList<T>> ListAllPagesAsync<T>(Func<int, string> pathOfPage, CancellationToken ct)
    {
        var all = new List<T>();
        for (var page = 1; page <= MaxListPages; page++)
        {
            var envelope = await GetAsync(pathOfPage(page), ct).ConfigureAwait(false);
            var items = Result<List<T>>(envelope);
            all.AddRange(items);
            var info = envelope.ResultInfo;
            var lastPage = items.Count == 0
                || info?.TotalPages is not { } totalPages
                || page >= totalPages;
            if (lastPage)
            {
                break;
            }
        }

        return all;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "cloudflare.call {Method} {Path} → {Status} ray={RayId} in {Elapsed}")]
    private partial void LogCall(string method, string path, int status, string? rayId, TimeSpan elapsed);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "cloudflare.call {Method} {Path} failed: {Kind}")]
    private partial void LogFailure(string method, string path, string kind);

    /// <summary>The envelope; <c>RayId</c>, <c>Method</c> and <c>Path</c> are filled in by the client, not read.</summary>
    internal sealed record Envelope(
        bool Success,
        IReadOnlyList<EnvelopeError>? Errors,
        JsonElement? Result,
        CloudflareResultInfo? ResultInfo)
    {
        [JsonIgnore]
        public string? RayId { get; init; }

        [JsonIgnore]
        public string? Method { get; init; }

        [JsonIgnore]
        public string? Path { get; init; }
    }

    internal sealed record EnvelopeError(int Code, string? Message);

    internal static string Utf8(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
