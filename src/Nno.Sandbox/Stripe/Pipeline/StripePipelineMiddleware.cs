using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Sandbox.Stripe.Common;

namespace Nno.Sandbox.Stripe.Pipeline;

/// <summary>
/// Runs every request under <c>/stripe/</c> (except <c>/stripe/_admin</c> and <c>/stripe/_sandbox</c>): latency →
/// <c>failNext</c> → random 429 → random error → bearer key (401) → route (404) → parameters → idempotency → the
/// handler (answer buffered, stored under the key unless it failed validation) → <c>dropResponseRate</c>. Every answer
/// carries <c>Request-Id</c> and <c>Stripe-Version</c>; errors are Stripe's error object; the request is logged.
/// </summary>
internal sealed partial class StripePipelineMiddleware(
    RequestDelegate next,
    StripeFaults faults,
    StripeIdempotency idempotency,
    StripeRequestLog log,
    TimeProvider time,
    IOptions<StripeOptions> options,
    ILogger<StripePipelineMiddleware> logger)
{
    public const string BasePath = "/stripe";
    private const int MaxBodyBytes = 1 << 20;
    private readonly byte[] _secretKey = Encoding.UTF8.GetBytes(options.Value.SecretKey);

    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (!path.StartsWith(BasePath + "/", StringComparison.Ordinal)
            || path.StartsWith(BasePath + "/_admin", StringComparison.Ordinal)
            || path.StartsWith(BasePath + "/_sandbox", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        var requestId = StripeRequestContext.NewRequestId();
        var version = context.Request.Headers["Stripe-Version"].ToString();
        version = string.IsNullOrWhiteSpace(version) ? StripeOptions.DefaultApiVersion : version.Trim();
        var key = context.Request.Headers["Idempotency-Key"].ToString();
        var idempotencyKey = string.IsNullOrEmpty(key) ? null : key;
        context.Response.Headers["Request-Id"] = requestId;
        context.Response.Headers["Stripe-Version"] = version;
        var status = 500;
        var replayed = false;
        try
        {
            replayed = await RunAsync(context, path, requestId, version, idempotencyKey);
            status = context.Response.StatusCode;
        }
        finally
        {
            log.Add(new StripeRequestEntry(0, time.GetUtcNow(), context.Request.Method, path, context.Request.QueryString.Value, status,
                replayed ? context.Response.Headers["Request-Id"].ToString() : requestId, version, idempotencyKey, replayed));
        }
    }

    /// <summary>Returns whether the answer was an idempotent replay.</summary>
    private async Task<bool> RunAsync(HttpContext context, string path, string requestId, string version, string? idempotencyKey)
    {
        var method = context.Request.Method;
        try
        {
            var draw = faults.Draw(path);
            if (draw.Latency > TimeSpan.Zero)
            {
                await Task.Delay(draw.Latency, time, context.RequestAborted);
            }

            if (faults.TakeFailNext(method, path) is { } scripted)
            {
                var type = scripted.Type ?? (scripted.Status >= 500 ? StripeErrorTypes.Api
                    : scripted.Status == 402 ? StripeErrorTypes.Card : StripeErrorTypes.InvalidRequest);
                throw new StripeException(scripted.Status, type, scripted.Code, scripted.Message ?? "Injected failure (sandbox failNext)");
            }

            if (draw.RateLimited)
            {
                throw new StripeException(429, StripeErrorTypes.InvalidRequest, StripeErrorCodes.RateLimit,
                    "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.")
                {
                    RetryAfterSeconds = draw.RetryAfterSeconds,
                };
            }

            if (draw.ErrorStatus is { } errorStatus)
            {
                throw new StripeException(errorStatus, StripeErrorTypes.Api, null, "An unknown error occurred (injected by the sandbox).");
            }

            CheckKey(context.Request);
            if (context.GetEndpoint() is not RouteEndpoint)
            {
                throw new StripeException(404, StripeErrorTypes.InvalidRequest, null,
                    $"Unrecognized request URL ({method}: {path[BasePath.Length..]}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.");
            }

            var parameters = HttpMethods.IsPost(method)
                ? StripeParams.Parse(await ReadBodyAsync(context.Request))
                : StripeParams.Parse(context.Request.QueryString.Value);
            new StripeRequestContext(requestId, version, idempotencyKey, parameters).Attach(context);

            IdempotencyLease? lease = null;
            if (idempotencyKey is not null && HttpMethods.IsPost(method))
            {
                if (idempotencyKey.Length > 255)
                {
                    throw StripeException.Invalid("Idempotency-Key", "Idempotency-Key must be at most 255 characters long.");
                }

                var decision = await idempotency.BeginAsync(
                    options.Value.SecretKey, idempotencyKey, method, path, parameters.Fingerprint, context.RequestAborted);
                switch (decision)
                {
                    case IdempotencyDecision.Replay replay:
                        context.Response.Headers["Request-Id"] = replay.RequestId;
                        context.Response.Headers["Idempotent-Replayed"] = "true";
                        await StripeResults.WriteRawAsync(context, replay.Status, replay.Body);
                        return true;
                    case IdempotencyDecision.Mismatch:
                        throw new StripeException(400, StripeErrorTypes.Idempotency, null,
                            $"Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{idempotencyKey}' if you meant to execute a different request.");
                    case IdempotencyDecision.InFlight:
                        throw new StripeException(409, StripeErrorTypes.Idempotency, StripeErrorCodes.IdempotencyKeyInUse,
                            "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through). Please try again later.");
                    case IdempotencyDecision.Proceed proceed:
                        lease = proceed.Lease;
                        break;
                }
            }

            using (lease)
            {
                await RunHandlerAsync(context, requestId, lease, draw.Drop);
            }

            return false;
        }
        catch (StripeException error) when (!context.Response.HasStarted)
        {
            await StripeResults.WriteErrorAsync(context, error);
            return false;
        }
    }

    /// <summary>Runs the endpoint with its answer held back: stored under the key, then sent, or dropped.</summary>
    private async Task RunHandlerAsync(HttpContext context, string requestId, IdempotencyLease? lease, bool drop)
    {
        var original = context.Response.Body;
        await using var held = new MemoryStream();
        context.Response.Body = held;
        var store = true;
        try
        {
            try
            {
                await next(context);
            }
            catch (StripeException error)
            {
                store = !error.IsValidation;
                held.SetLength(0);
                context.Response.Headers.Remove("Retry-After");
                await StripeResults.WriteErrorAsync(context, error);
            }
#pragma warning disable CA1031 // an emulator bug answers Stripe's 500 (retryable), never an HTML page
            catch (Exception error) when (error is not OperationCanceledException)
#pragma warning restore CA1031
            {
                LogHandlerFailed(logger, error, context.Request.Path.Value ?? "");
                store = false;
                held.SetLength(0);
                await StripeResults.WriteErrorAsync(context, new StripeException());
            }

            if (lease is not null && store)
            {
                await idempotency.CompleteAsync(lease, context.Response.StatusCode, Encoding.UTF8.GetString(held.ToArray()), requestId, CancellationToken.None);
            }
        }
        finally
        {
            context.Response.Body = original;
        }

        if (drop)
        {
            // The change happened and its answer is stored; the client never hears.
            context.Abort();
            return;
        }

        held.Position = 0;
        await held.CopyToAsync(original, context.RequestAborted);
    }

    private void CheckKey(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string prefix = "Bearer ";
        var given = header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? header[prefix.Length..].Trim() : "";
        if (given.Length == 0)
        {
            throw new StripeException(401, StripeErrorTypes.InvalidRequest, null,
                "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').");
        }

        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), _secretKey))
        {
            // Never echo the key itself, only its last four characters, as Stripe does.
            var tail = given.Length > 4 ? given[^4..] : "";
            throw new StripeException(401, StripeErrorTypes.InvalidRequest, null, $"Invalid API Key provided: ****{tail}");
        }
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength is > MaxBodyBytes)
        {
            throw new StripeException("The request body is larger than 1 MiB.");
        }

        var type = request.ContentType ?? "";
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var buffer = new char[MaxBodyBytes + 1];
        var read = 0;
        int n;
        while (read <= MaxBodyBytes && (n = await reader.ReadAsync(buffer.AsMemory(read, buffer.Length - read), request.HttpContext.RequestAborted)) > 0)
        {
            read += n;
        }

        if (read > MaxBodyBytes)
        {
            throw new StripeException("The request body is larger than 1 MiB.");
        }

        if (read > 0 && !type.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            throw new StripeException(
                $"Invalid request: unsupported Content-Type {type}. If error persists and you need assistance, please contact support@stripe.com.");
        }

        return new string(buffer, 0, read);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Stripe emulator handler failed on {Path}")]
    private static partial void LogHandlerFailed(ILogger logger, Exception error, string path);
}
