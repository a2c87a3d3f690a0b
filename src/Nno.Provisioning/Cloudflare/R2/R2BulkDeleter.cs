using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;

namespace Nno.Provisioning.Cloudflare.R2;

/// <summary>
/// Where an emptying run stands, so a step can persist it in <c>output_json</c> and resume after a crash or retry:
/// the ListObjectsV2 continuation token, the keys whose deletion failed last call (retried first), what is done.
/// </summary>
public sealed record R2DeletionCursor
{
    /// <summary>The next ListObjectsV2 page; null before the first list.</summary>
    public string? ContinuationToken { get; init; }

    /// <summary>True once a list answered <c>IsTruncated=false</c>: no page is left to list.</summary>
    public bool ListingDone { get; init; }

    /// <summary>Keys a DeleteObjects reported as failed (not <c>AccessDenied</c>); the next call deletes them first.</summary>
    public IReadOnlyList<string> RetryKeys { get; init; } = [];

    /// <summary>Objects deleted so far.</summary>
    public long Deleted { get; init; }

    /// <summary>Every object under the prefix is gone.</summary>
    public bool Completed => ListingDone && RetryKeys.Count == 0;
}

/// <summary>
/// A failed S3 call. Transient: network error, timeout, 5xx, 503 <c>SlowDown</c>; permanent: <c>AccessDenied</c> and
/// every other 4xx (provisioning.md §5).
/// </summary>
public sealed class R2S3Exception(string message, HttpStatusCode? status, string? errorCode, bool transient, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>HTTP status; null when no answer arrived.</summary>
    public HttpStatusCode? StatusCode { get; } = status;

    /// <summary>The S3 error code (<c>AccessDenied</c>, <c>SlowDown</c>, <c>NoSuchBucket</c>…).</summary>
    public string? ErrorCode { get; } = errorCode;

    /// <summary>Worth retrying later.</summary>
    public bool IsTransient { get; } = transient;

    /// <summary>Not worth retrying.</summary>
    public bool IsPermanent => !IsTransient;
}

/// <summary>
/// Empties an R2 bucket (or a key prefix of it) through R2's S3-compatible API with the AWS SDK (provisioning.md §5):
/// only ListObjectsV2 and DeleteObjects (Quiet, ≤1,000 keys), at most <c>Cloudflare:R2S3Concurrency</c> calls in flight
/// across the process, not on the REST budget. Each <see cref="DeleteNextAsync"/> is one list and one delete call at
/// most, so a step persists the returned cursor between calls.
/// </summary>
public sealed partial class R2BulkDeleter(IAmazonS3 s3, CloudflareOptions options, ILogger<R2BulkDeleter> logger) : IDisposable
{
    /// <summary>Most keys one DeleteObjects takes.</summary>
    public const int MaxKeysPerDelete = 1000;

    private readonly SemaphoreSlim _concurrency = new(options.R2S3Concurrency, options.R2S3Concurrency);

    /// <summary>
    /// One unit of work: deletes the keys that failed last time, or lists the next page (up to 1,000 keys) and deletes
    /// it. A missing bucket counts as empty. Returns the cursor to persist; call again until
    /// <see cref="R2DeletionCursor.Completed"/>.
    /// </summary>
    public async Task<R2DeletionCursor> DeleteNextAsync(string bucket, string? prefix, R2DeletionCursor? cursor, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(bucket);
        cursor ??= new R2DeletionCursor();
        if (cursor.Completed)
        {
            return cursor;
        }

        if (cursor.RetryKeys.Count > 0)
        {
            var (deleted, failed) = await DeleteKeysAsync(bucket, cursor.RetryKeys, ct).ConfigureAwait(false);
            return cursor with { RetryKeys = failed, Deleted = cursor.Deleted + deleted };
        }

        ListObjectsV2Response page;
        try
        {
            page = await CallAsync(() => s3.ListObjectsV2Async(new ListObjectsV2Request
            {
                BucketName = bucket,
                Prefix = string.IsNullOrEmpty(prefix) ? null : prefix,
                MaxKeys = options.R2ListMaxKeys,
                ContinuationToken = cursor.ContinuationToken,
            }, ct), "ListObjectsV2", bucket, ct).ConfigureAwait(false);
        }
        catch (R2S3Exception ex) when (ex.ErrorCode == "NoSuchBucket")
        {
            return cursor with { ListingDone = true, ContinuationToken = null };
        }

        var keys = (page.S3Objects ?? []).Select(o => o.Key).Where(k => !string.IsNullOrEmpty(k)).ToArray();
        var truncated = page.IsTruncated == true && !string.IsNullOrEmpty(page.NextContinuationToken);
        var next = cursor with { ContinuationToken = truncated ? page.NextContinuationToken : null, ListingDone = !truncated };
        if (keys.Length == 0)
        {
            return next;
        }

        var (count, failures) = await DeleteKeysAsync(bucket, keys, ct).ConfigureAwait(false);
        return next with { RetryKeys = failures, Deleted = cursor.Deleted + count };
    }

    /// <summary>
    /// Runs <see cref="DeleteNextAsync"/> until done, handing every new cursor to <paramref name="checkpoint"/> first
    /// (the step persists it), and returns the final cursor.
    /// </summary>
    public async Task<R2DeletionCursor> DeleteAllAsync(string bucket, string? prefix, R2DeletionCursor? cursor,
        Func<R2DeletionCursor, CancellationToken, Task>? checkpoint = null, CancellationToken ct = default)
    {
        cursor ??= new R2DeletionCursor();
        while (!cursor.Completed)
        {
            cursor = await DeleteNextAsync(bucket, prefix, cursor, ct).ConfigureAwait(false);
            if (checkpoint is not null)
            {
                await checkpoint(cursor, ct).ConfigureAwait(false);
            }
        }

        return cursor;
    }

    private async Task<(long Deleted, IReadOnlyList<string> Failed)> DeleteKeysAsync(string bucket, IReadOnlyList<string> keys, CancellationToken ct)
    {
        if (keys.Count > MaxKeysPerDelete)
        {
            throw new ArgumentException($"DeleteObjects takes at most {MaxKeysPerDelete} keys.", nameof(keys));
        }

        DeleteObjectsResponse response;
        try
        {
            response = await CallAsync(() => s3.DeleteObjectsAsync(new DeleteObjectsRequest
            {
                BucketName = bucket,
                Quiet = true,
                Objects = keys.Select(k => new KeyVersion { Key = k }).ToList(),
            }, ct), "DeleteObjects", bucket, ct).ConfigureAwait(false);
        }
        catch (DeleteObjectsException ex)
        {
            // The SDK throws when the answer lists errors; the response still says which keys failed.
            response = ex.Response;
        }
        catch (R2S3Exception ex) when (ex.ErrorCode == "NoSuchBucket")
        {
            return (0, []);
        }

        var errors = response?.DeleteErrors ?? [];
        if (errors.FirstOrDefault(e => e.Code == "AccessDenied") is { } denied)
        {
            throw new R2S3Exception($"R2 refused to delete \"{denied.Key}\" in bucket {bucket}: AccessDenied", HttpStatusCode.Forbidden, "AccessDenied", transient: false);
        }

        var failed = errors.Select(e => e.Key).Where(k => !string.IsNullOrEmpty(k)).Distinct(StringComparer.Ordinal).ToArray();
        if (failed.Length > 0)
        {
            LogPartialFailure(bucket, failed.Length, errors[0].Code);
        }

        return (keys.Count - failed.Length, failed);
    }

    private async Task<T> CallAsync<T>(Func<Task<T>> call, string operation, string bucket, CancellationToken ct)
    {
        await _concurrency.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var result = await call().ConfigureAwait(false);
            LogCall(operation, bucket);
            return result;
        }
        catch (DeleteObjectsException)
        {
            throw;
        }
        catch (AmazonS3Exception ex)
        {
            var status = ex.StatusCode;
            var transient = (int)status >= 500 || ex.ErrorCode is "SlowDown" or "InternalError" or "ServiceUnavailable" or "RequestTimeout";
            LogFailure(operation, bucket, (int)status, ex.ErrorCode);
            throw new R2S3Exception($"R2 {operation} on bucket {bucket} failed ({(int)status} {ex.ErrorCode})", status, ex.ErrorCode, transient, ex);
        }
        catch (AmazonServiceException ex) when (ex.StatusCode != 0)
        {
            var status = ex.StatusCode;
            LogFailure(operation, bucket, (int)status, ex.ErrorCode);
            throw new R2S3Exception($"R2 {operation} on bucket {bucket} failed ({(int)status} {ex.ErrorCode})", status, ex.ErrorCode, (int)status >= 500, ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or AmazonClientException or AmazonServiceException
                                   || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            LogFailure(operation, bucket, 0, ex.GetType().Name);
            throw new R2S3Exception($"R2 {operation} on bucket {bucket} got no answer: {ex.Message}", null, null, transient: true, ex);
        }
        finally
        {
            _concurrency.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _concurrency.Dispose();

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "cloudflare.r2s3 {Operation} bucket={Bucket} ok")]
    private partial void LogCall(string operation, string bucket);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "cloudflare.r2s3 {Operation} bucket={Bucket} failed status={Status} code={Code}")]
    private partial void LogFailure(string operation, string bucket, int status, string? code);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "cloudflare.r2s3 DeleteObjects bucket={Bucket}: {Count} keys failed ({Code}); retried next call")]
    private partial void LogPartialFailure(string bucket, int count, string? code);
}

/// <summary>
/// Adds <c>Content-MD5</c> to DeleteObjects: the SDK sends a CRC32 checksum there, but S3-compatible services (and the
/// emulator, provisioning.md §5.1) check the MD5 the S3 API defines. Added after signing, so it is not a signed header.
/// </summary>
public sealed class R2ContentMd5Handler : DelegatingHandler
{
    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Method == HttpMethod.Post && request.Content is { } content && content.Headers.ContentMD5 is null
            && request.RequestUri?.Query is { } query && IsDeleteQuery(query))
        {
            var body = await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
#pragma warning disable CA5351 // MD5 is what the S3 API defines for Content-MD5: an integrity check, not security.
            content.Headers.ContentMD5 = MD5.HashData(body);
#pragma warning restore CA5351
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsDeleteQuery(string query) =>
        query.TrimStart('?').Split('&').Any(p => p == "delete" || p.StartsWith("delete=", StringComparison.Ordinal));
}

/// <summary>Gives the AWS SDK the <see cref="IHttpClientFactory"/> client <c>cloudflare-r2-s3</c> (handlers, test seams).</summary>
public sealed class R2HttpClientFactory(IHttpClientFactory factory) : HttpClientFactory
{
    /// <summary>Name of the HTTP client registration.</summary>
    public const string HttpClientName = "cloudflare-r2-s3";

    /// <inheritdoc />
    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => factory.CreateClient(HttpClientName);

    /// <inheritdoc />
    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    /// <inheritdoc />
    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => true;

    /// <inheritdoc />
    public override string GetConfigUniqueString(IClientConfig clientConfig) => HttpClientName;
}
