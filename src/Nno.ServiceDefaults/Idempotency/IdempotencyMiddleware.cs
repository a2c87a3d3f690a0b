using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Nno.Core.Errors;
using Nno.ServiceDefaults.Errors;
using Nno.ServiceDefaults.Security;

namespace Nno.ServiceDefaults.Idempotency;

/// <summary>
/// <c>Idempotency-Key</c> for endpoints marked <see cref="IdempotencyEndpointExtensions.WithIdempotency{TBuilder}"/>
/// (00-system §7). The first response a principal gets for a key is stored and replayed, byte for byte, for a repeat of
/// the same request (with <c>Idempotent-Replayed: true</c>); the same key for another request is 409 <c>CONFLICT</c>; a
/// repeat while the first still runs is 409 with <c>Retry-After</c> (nothing stored); answers that ask for a retry are
/// not stored; secret-bearing answers are never stored and a repeat gets 409 with the created id. Runs after routing
/// and the principal middleware, and inside the error middleware, whose exception translation it shares so that an
/// error answer is stored as the client saw it.
/// </summary>
public sealed partial class IdempotencyMiddleware(RequestDelegate next, ILogger<IdempotencyMiddleware> logger)
{
    /// <summary>The request header.</summary>
    public const string HeaderName = "Idempotency-Key";

    /// <summary>The response header marking a replayed answer.</summary>
    public const string ReplayedHeaderName = "Idempotent-Replayed";

    /// <summary>Longest accepted key.</summary>
    public const int MaxKeyLength = 255;

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var metadata = context.GetEndpoint()?.Metadata.GetMetadata<IdempotentEndpointMetadata>();
        if (metadata is null
            || !HttpMethods.IsPost(context.Request.Method)
            || !context.Request.Headers.TryGetValue(HeaderName, out var values))
        {
            await next(context);
            return;
        }

        // Anonymous routes do not take the header (00-system §7): it is ignored, like any unknown header.
        var principal = IdempotencyPrincipal.KeyOf(context.GetNnoPrincipal());
        if (principal is null)
        {
            await next(context);
            return;
        }

        var key = ParseKey(values);
        var store = context.RequestServices.GetService<IIdempotencyStore>()
            ?? throw new InvalidOperationException("An endpoint is marked WithIdempotency() but the service did not call AddNnoIdempotency<TContext>().");
        var options = context.RequestServices.GetRequiredService<IOptions<IdempotencyOptions>>().Value;
        var time = context.RequestServices.GetRequiredService<TimeProvider>();

        var requestHash = await FingerprintAsync(context.Request, context.RequestAborted);
        var now = time.GetUtcNow();
        var claimedAt = now.ToUnixTimeMilliseconds();
        var existing = await store.TryClaimAsync(
            principal,
            key,
            requestHash,
            claimedAt,
            (now + options.Retention).ToUnixTimeMilliseconds(),
            (now - options.InProgressTimeout).ToUnixTimeMilliseconds(),
            context.RequestAborted);
        if (existing is not null)
        {
            await AnswerRepeatAsync(context, existing, requestHash, options);
            return;
        }

        await RunAndStoreAsync(context, metadata, store, options, principal, key, claimedAt);
    }

    /// <summary>True when <paramref name="key"/> is 1–255 visible ASCII characters (00-system §7).</summary>
    public static bool IsValidKey(string? key) =>
        key is { Length: > 0 and <= MaxKeyLength } && key.All(c => c is >= '!' and <= '~');

    /// <summary>The key of an <c>Idempotency-Key</c> header: exactly one valid value, else 400 naming the header.</summary>
    public static string ParseKey(StringValues values)
    {
        if (values.Count != 1 || !IsValidKey(values[0]))
        {
            throw ApiException.Validation(HeaderName, $"must be one value of 1–{MaxKeyLength} visible ASCII characters");
        }

        return values[0]!;
    }

    /// <summary>Lowercase hex SHA-256 of method, path, query and body; the body is buffered so the endpoint can still read it.</summary>
    internal static async Task<string> FingerprintAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var head = string.Join('\n', request.Method.ToUpperInvariant(), request.PathBase.Add(request.Path).Value ?? "/", request.QueryString.Value ?? string.Empty) + "\n";
        hash.AppendData(Encoding.UTF8.GetBytes(head));

        request.EnableBuffering();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }

        request.Body.Position = 0;
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static async Task AnswerRepeatAsync(HttpContext context, IdempotencyRecord existing, string requestHash, IdempotencyOptions options)
    {
        if (!string.Equals(existing.RequestHash, requestHash, StringComparison.Ordinal))
        {
            throw new ApiException(ErrorCodes.Conflict, "This Idempotency-Key was already used for a different request; use a new key for a new request.", new { reason = "idempotency_key_reused" });
        }

        switch (existing.State)
        {
            case IdempotencyState.InProgress:
                var inProgress = new ApiException(ErrorCodes.Conflict, "A request with this Idempotency-Key is still being processed; retry it later.", new { reason = "request_in_progress" });
                inProgress.Headers["Retry-After"] = options.InProgressRetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                throw inProgress;
            case IdempotencyState.SecretBearing:
                throw new ApiException(ErrorCodes.Conflict, "This Idempotency-Key already created the object; its secret is shown only once and is not replayed.", new { id = existing.ResourceId });
            default:
                await ReplayAsync(context, existing);
                return;
        }
    }

    private static async Task ReplayAsync(HttpContext context, IdempotencyRecord record)
    {
        var response = context.Response;
        response.StatusCode = record.StatusCode ?? StatusCodes.Status200OK;
        if (record.ContentType is not null)
        {
            response.ContentType = record.ContentType;
        }

        if (record.ResponseHeaders is not null)
        {
            var headers = JsonSerializer.Deserialize<Dictionary<string, string[]>>(record.ResponseHeaders) ?? [];
            foreach (var (name, headerValues) in headers)
            {
                response.Headers[name] = headerValues;
            }
        }

        response.Headers[ReplayedHeaderName] = "true";
        if (record.ResponseBody is { Length: > 0 } body)
        {
            response.ContentLength = body.Length;
            await response.Body.WriteAsync(body, context.RequestAborted);
        }
    }

    private async Task RunAndStoreAsync(HttpContext context, IdempotentEndpointMetadata metadata, IIdempotencyStore store, IdempotencyOptions options, string principal, string key, long claimedAt)
    {
        var response = context.Response;
        var originalBody = response.Body;
        using var captured = new MemoryStream();
        response.Body = captured;
        try
        {
            try
            {
                await next(context);
            }
            catch (Exception ex) when (ErrorHandlingMiddleware.IsKnownError(ex))
            {
                // Written here (not by the outer error middleware) so the answer the client sees is the one stored.
                await ErrorHandlingMiddleware.WriteKnownErrorAsync(context, ex);
            }
        }
        catch
        {
            // An unexpected failure (a 500 to be) or a cancelled request: nothing is stored, a retry runs again.
            response.Body = originalBody;
            await ReleaseQuietlyAsync(store, principal, key, claimedAt);
            throw;
        }

        response.Body = originalBody;
        try
        {
            await SettleAsync(context, metadata, store, options, principal, key, claimedAt, captured);
        }
        catch (Exception ex) when (ex is DbException or DbUpdateException)
        {
            // The work is done but its answer could not be stored: the client still gets it, and the key is freed so a
            // repeat is not stuck on "in progress" (it may run the work again, the best a failing database allows).
            LogStoreFailed(logger, ex, context.Request.Path.Value);
            await ReleaseQuietlyAsync(store, principal, key, claimedAt);
        }

        if (captured.Length > 0)
        {
            captured.Position = 0;
            await captured.CopyToAsync(originalBody, context.RequestAborted);
        }
    }

    private async Task SettleAsync(HttpContext context, IdempotentEndpointMetadata metadata, IIdempotencyStore store, IdempotencyOptions options, string principal, string key, long claimedAt, MemoryStream captured)
    {
        var response = context.Response;
        var status = response.StatusCode;
        if (AsksForRetry(context, status))
        {
            await store.ReleaseAsync(principal, key, claimedAt, CancellationToken.None);
        }
        else if (metadata.SecretBearing && status is >= 200 and < 300)
        {
            var id = context.GetIdempotencyResourceId() ?? ReadTopLevelId(captured, response.ContentType);
            if (id is null)
            {
                LogSecretWithoutId(logger, context.Request.Path.Value);
            }

            await store.CompleteAsync(principal, key, claimedAt, IdempotencyState.SecretBearing, status, null, null, null, id, CancellationToken.None);
        }
        else
        {
            await store.CompleteAsync(principal, key, claimedAt, IdempotencyState.Completed, status, response.ContentType, SelectHeaders(response, options), captured.ToArray(), null, CancellationToken.None);
        }
    }

    private async Task ReleaseQuietlyAsync(IIdempotencyStore store, string principal, string key, long claimedAt)
    {
        try
        {
            await store.ReleaseAsync(principal, key, claimedAt, CancellationToken.None);
        }
        catch (Exception ex) when (ex is DbException or DbUpdateException)
        {
            // The original failure matters more; the row is taken over once abandoned (InProgressTimeout).
            LogReleaseFailed(logger, ex);
        }
    }

    /// <summary>5xx, 429, and 409s that mean "try again" (they carry <c>Retry-After</c> or were marked) are not stored.</summary>
    private static bool AsksForRetry(HttpContext context, int status) =>
        status >= 500
        || status == StatusCodes.Status429TooManyRequests
        || context.IsResponseMarkedRetryable()
        || (status == StatusCodes.Status409Conflict && context.Response.Headers.ContainsKey("Retry-After"));

    private static string? SelectHeaders(HttpResponse response, IdempotencyOptions options)
    {
        var selected = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in options.ReplayedHeaders)
        {
            if (response.Headers.TryGetValue(name, out var value) && value.Count > 0)
            {
                selected[name] = value.ToArray()!;
            }
        }

        return selected.Count == 0 ? null : JsonSerializer.Serialize(selected);
    }

    private static string? ReadTopLevelId(MemoryStream body, string? contentType)
    {
        if (body.Length == 0 || contentType is null || !contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body.GetBuffer().AsMemory(0, (int)body.Length));
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("id", out var id)
                ? id.ValueKind switch
                {
                    JsonValueKind.String => id.GetString(),
                    JsonValueKind.Number => id.GetRawText(),
                    _ => null,
                }
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Secret-bearing response on {Path} has no id (no top-level 'id' and none declared); a repeat of its Idempotency-Key answers 409 without one")]
    private static partial void LogSecretWithoutId(ILogger logger, string? path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not store the idempotent response of {Path}")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception, string? path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not release an in-progress Idempotency-Key")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception);
}

/// <summary>Registration of the idempotency mechanism.</summary>
public static class IdempotencyRegistration
{
    /// <summary>
    /// Stores <c>Idempotency-Key</c> answers in <typeparamref name="TContext"/> (whose model must call
    /// <see cref="IdempotencyModel.AddNnoIdempotency"/>) and purges expired ones in the background.
    /// </summary>
    public static IServiceCollection AddNnoIdempotency<TContext>(this IServiceCollection services)
        where TContext : DbContext
    {
        services.AddOptions<IdempotencyOptions>().BindConfiguration(IdempotencyOptions.Section)
            .Validate(o => o.Validate() is null, "Invalid Nno:Idempotency settings (positive retention, cleanup interval and in-progress timeout).")
            .ValidateOnStart();
        services.AddSingleton<IIdempotencyStore, IdempotencyStore<TContext>>();
        services.AddHostedService<IdempotencyCleanupService>();
        return services;
    }

    /// <summary>Adds the middleware; it acts only on endpoints marked <c>WithIdempotency()</c>. Call after routing and the principal middleware.</summary>
    public static IApplicationBuilder UseNnoIdempotency(this IApplicationBuilder app) => app.UseMiddleware<IdempotencyMiddleware>();
}
