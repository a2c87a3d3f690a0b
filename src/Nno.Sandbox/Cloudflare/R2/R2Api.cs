using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Nno.Sandbox.Cloudflare.Common;

namespace Nno.Sandbox.Cloudflare.R2;

/// <summary>R2's REST API (provisioning.md §5.1): buckets, plus object routes for tests and usage injection.</summary>
internal static class R2Api
{
    public static CloudflareArea Area { get; } = new()
    {
        Name = "R2",
        Schema = R2Store.Schema,
        State = [new CloudflareStateKind("r2Buckets", "SELECT name FROM r2_buckets ORDER BY name")],
        AddServices = services =>
        {
            services.AddSingleton<R2Store>();
            services.AddSingleton<ICloudflareBindingTarget, R2BindingTarget>();
        },
        Map = groups => Map(groups.Account),
    };

    private static void Map(RouteGroupBuilder account)
    {
        var buckets = account.MapGroup("/r2/buckets").WithTags("Cloudflare R2");
        buckets.MapGet("", ListBuckets).WithName("CfR2ListBuckets").WithSummary("Lists buckets (name_contains, cursor, per_page).");
        buckets.MapPost("", CreateBucket).WithName("CfR2CreateBucket").WithSummary("Creates a bucket.");
        buckets.MapGet("/{name}", GetBucket).WithName("CfR2GetBucket").WithSummary("Reads a bucket.");
        buckets.MapDelete("/{name}", DeleteBucket).WithName("CfR2DeleteBucket").WithSummary("Deletes an empty bucket.");
        buckets.MapGet("/{name}/objects", ListObjects).WithName("CfR2ListObjects").WithSummary("Lists objects (prefix, cursor, per_page).");
        buckets.MapPut("/{name}/objects/{**key}", PutObject).WithName("CfR2PutObject").WithSummary("Stores an object (raw body).");
        buckets.MapGet("/{name}/objects/{**key}", GetObject).WithName("CfR2GetObject").WithSummary("Reads an object's bytes.");
        buckets.MapDelete("/{name}/objects/{**key}", DeleteObject).WithName("CfR2DeleteObject").WithSummary("Deletes an object.");
    }

    private static async Task<IResult> ListBuckets(HttpRequest request, R2Store store, CancellationToken cancellationToken)
    {
        var perPage = CloudflarePaging.ReadInt(request, "per_page", 20, 1, 1000);
        var after = DecodeCursor(request.Query["cursor"].ToString()) ?? NullIfEmpty(request.Query["start_after"].ToString());
        var page = await store.ListBucketsAsync(NullIfEmpty(request.Query["name_contains"].ToString()), after, perPage, cancellationToken);
        var items = page.Take(perPage).ToArray();
        var cursor = page.Count > perPage ? EncodeCursor(items[^1].Name) : "";
        return CloudflareResults.Ok(new { buckets = items }, new CursorResultInfo(cursor, items.Length, perPage));
    }

    private static async Task<IResult> CreateBucket(HttpRequest request, R2Store store, CancellationToken cancellationToken)
    {
        var body = await CloudflareRequestBody.ReadObjectAsync(request, cancellationToken);
        CloudflareRequestBody.OnlyAllow(body, "name", "locationHint", "storageClass");
        var name = CloudflareRequestBody.RequiredString(body, "name");
        if (!R2Store.IsValidBucketName(name))
        {
            throw CloudflareException.BadRequest(
                "The specified bucket name is not valid: 3-63 characters of a-z, 0-9 and '-', not starting or ending with '-'.",
                R2ErrorCodes.InvalidBucketName);
        }

        var location = CloudflareRequestBody.OptionalString(body, "locationHint")?.ToUpperInvariant() ?? "ENAM";
        if (location is not ("APAC" or "EEUR" or "ENAM" or "WEUR" or "WNAM" or "OC"))
        {
            throw CloudflareException.BadRequest("locationHint must be one of apac, eeur, enam, weur, wnam, oc.", R2ErrorCodes.InvalidArgument);
        }

        var storageClass = CloudflareRequestBody.OptionalString(body, "storageClass") ?? "Standard";
        if (storageClass is not ("Standard" or "InfrequentAccess"))
        {
            throw CloudflareException.BadRequest("storageClass must be Standard or InfrequentAccess.", R2ErrorCodes.InvalidArgument);
        }

        return await store.CreateBucketAsync(name, location, storageClass, cancellationToken) is { } bucket
            ? CloudflareResults.Ok(bucket)
            : throw CloudflareException.Conflict(R2ErrorCodes.BucketExists,
                "The bucket you tried to create already exists, and you own it.");
    }

    private static async Task<IResult> GetBucket(string name, R2Store store, CancellationToken cancellationToken) =>
        CloudflareResults.Ok(await RequireBucketAsync(store, name, cancellationToken));

    private static async Task<IResult> DeleteBucket(string name, R2Store store, CancellationToken cancellationToken) =>
        await store.DeleteBucketAsync(name, cancellationToken) switch
        {
            BucketDeletion.Deleted => CloudflareResults.Ok(new { }),
            BucketDeletion.NotEmpty => throw CloudflareException.Conflict(R2ErrorCodes.BucketNotEmpty,
                "The bucket you tried to delete is not empty."),
            _ => throw NoSuchBucket(),
        };

    private static async Task<IResult> ListObjects(string name, HttpRequest request, R2Store store, CancellationToken cancellationToken)
    {
        var perPage = CloudflarePaging.ReadInt(request, "per_page", 1000, 1, 1000);
        var after = DecodeCursor(request.Query["cursor"].ToString());
        await RequireBucketAsync(store, name, cancellationToken);
        var page = await store.ListObjectsAsync(name, request.Query["prefix"].ToString(), after, perPage, cancellationToken);
        await store.CountAsync(name, 1, cancellationToken);
        var items = page.Objects.Select(o => new
        {
            key = o.Key,
            size = o.Size,
            etag = o.Etag,
            last_modified = o.Uploaded,
            http_metadata = new { contentType = o.ContentType },
            storage_class = "Standard",
        }).ToArray();
        var cursor = page.Truncated && page.LastKey is { } last ? EncodeCursor(last) : "";
        return CloudflareResults.Ok(items, new CursorResultInfo(cursor, items.Length, perPage));
    }

    private static async Task<IResult> PutObject(string name, string key, HttpContext context, R2Store store, CancellationToken cancellationToken)
    {
        RequireKey(key);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = R2Store.MaxObjectBytes;
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, cancellationToken);
        var stored = await store.PutObjectAsync(name, key, buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.Request.ContentType, cancellationToken)
            ?? throw NoSuchBucket();
        await store.CountAsync(name, 1, cancellationToken);
        return CloudflareResults.Ok(new { key = stored.Key, size = stored.Size, etag = stored.Etag, uploaded = stored.Uploaded, storage_class = "Standard" });
    }

    private static async Task<IResult> GetObject(string name, string key, R2Store store, CancellationToken cancellationToken)
    {
        RequireKey(key);
        await RequireBucketAsync(store, name, cancellationToken);
        await store.CountAsync(name, 1, cancellationToken);
        return await store.ReadObjectAsync(name, key, cancellationToken) is { } found
            ? TypedResults.Bytes(found.Data, found.Object.ContentType, entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{found.Object.Etag}\""))
            : throw CloudflareException.NotFound(R2ErrorCodes.NoSuchKey, "The specified key does not exist.");
    }

    private static async Task<IResult> DeleteObject(string name, string key, R2Store store, CancellationToken cancellationToken)
    {
        RequireKey(key);
        await RequireBucketAsync(store, name, cancellationToken);
        await store.DeleteObjectAsync(name, key, cancellationToken);
        await store.CountAsync(name, 1, cancellationToken);
        return CloudflareResults.Ok(new { });
    }

    private static async Task<R2Bucket> RequireBucketAsync(R2Store store, string name, CancellationToken cancellationToken) =>
        await store.GetBucketAsync(name, cancellationToken) ?? throw NoSuchBucket();

    private static void RequireKey(string key)
    {
        if (R2Store.KeyProblem(key) is { } problem)
        {
            throw CloudflareException.BadRequest(problem, R2ErrorCodes.InvalidArgument);
        }
    }

    private static CloudflareException NoSuchBucket() =>
        CloudflareException.NotFound(R2ErrorCodes.NoSuchBucket, "The specified bucket does not exist.");

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    internal static string EncodeCursor(string last) => System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(last));

    /// <summary>The key a cursor continues after; a cursor that is not one of ours is a 400.</summary>
    internal static string? DecodeCursor(string cursor)
    {
        if (cursor.Length == 0)
        {
            return null;
        }

        try
        {
            return Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(cursor));
        }
        catch (FormatException)
        {
            throw CloudflareException.BadRequest("The cursor is not valid.", R2ErrorCodes.InvalidArgument);
        }
    }
}

/// <summary>Checks <c>r2_bucket</c> Worker bindings (<c>bucket_name</c>) against existing buckets.</summary>
internal sealed class R2BindingTarget(R2Store store) : ICloudflareBindingTarget
{
    public string BindingType => "r2_bucket";

    public async Task<string?> CheckAsync(string accountId, System.Text.Json.Nodes.JsonObject binding, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(binding);
        var name = binding["bucket_name"] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (string.IsNullOrEmpty(name))
        {
            return "r2_bucket binding needs bucket_name.";
        }

        return await store.GetBucketAsync(name, cancellationToken) is null ? $"R2 bucket '{name}' does not exist." : null;
    }
}
