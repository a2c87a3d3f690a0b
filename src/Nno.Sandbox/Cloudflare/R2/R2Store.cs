using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Nno.Sandbox.Cloudflare.Common;

namespace Nno.Sandbox.Cloudflare.R2;

/// <summary>A bucket as the R2 REST API describes it.</summary>
internal sealed record R2Bucket(string Name, string CreationDate, string Location, string StorageClass);

/// <summary>An object's metadata row (its bytes are a file under <c>{dataDir}/sandbox/cloudflare/r2/</c>).</summary>
internal sealed record R2Object(string Key, long Size, string Etag, string Uploaded, string ContentType);

/// <summary>One page of an ordered object listing; <see cref="LastKey"/> is where the next page starts after.</summary>
internal sealed record R2ObjectPage(IReadOnlyList<R2Object> Objects, bool Truncated, string? LastKey);

/// <summary>
/// R2 state shared by the REST API and the S3-compatible surface: buckets and object rows in the metadata database,
/// object bytes as files named by the SHA-256 of the key (keys may hold any character), listing in UTF-8 byte order
/// like R2. Every object call also counts toward <c>r2OperationsAdaptiveGroups</c>.
/// </summary>
internal sealed class R2Store(CloudflareState state, CloudflareUsage usage)
{
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS r2_buckets (
            name TEXT NOT NULL PRIMARY KEY,
            creation_date TEXT NOT NULL,
            location TEXT NOT NULL,
            storage_class TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS r2_objects (
            bucket TEXT NOT NULL REFERENCES r2_buckets(name) ON DELETE CASCADE,
            key TEXT NOT NULL,
            size INTEGER NOT NULL,
            etag TEXT NOT NULL,
            uploaded TEXT NOT NULL,
            content_type TEXT NOT NULL,
            PRIMARY KEY (bucket, key)
        ) WITHOUT ROWID;
        """;

    /// <summary>The largest object one PUT stores (R2 allows 5 GiB; the emulator keeps bodies in memory).</summary>
    public const long MaxObjectBytes = 100L * 1024 * 1024;

    /// <summary>R2's key limit in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 1024;

    public const string OperationsDataset = "r2OperationsAdaptiveGroups";
    public const string StorageDataset = "r2StorageAdaptiveGroups";

    public static bool IsValidBucketName(string name) =>
        name.Length is >= 3 and <= 63
        && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')
        && name[0] != '-' && name[^1] != '-';

    public static string? KeyProblem(string key) =>
        key.Length == 0 ? "The object key must not be empty."
        : Encoding.UTF8.GetByteCount(key) > MaxKeyBytes ? $"The object key is longer than {MaxKeyBytes} bytes."
        : null;

    public async Task<R2Bucket?> GetBucketAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = Command(connection, "SELECT name, creation_date, location, storage_class FROM r2_buckets WHERE name = $name",
            ("$name", name));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadBucket(reader) : null;
    }

    /// <summary>Buckets ordered by name after <paramref name="after"/>, at most <paramref name="limit"/> + 1 (to tell truncation).</summary>
    public async Task<IReadOnlyList<R2Bucket>> ListBucketsAsync(string? nameContains, string? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = Command(connection, """
            SELECT name, creation_date, location, storage_class FROM r2_buckets
            WHERE ($after IS NULL OR name > $after) AND ($contains IS NULL OR instr(name, $contains) > 0)
            ORDER BY name LIMIT $limit
            """, ("$after", after), ("$contains", nameContains), ("$limit", limit + 1));
        var result = new List<R2Bucket>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(ReadBucket(reader));
        }

        return result;
    }

    /// <summary>Creates the bucket; false when the name is taken.</summary>
    public async Task<R2Bucket?> CreateBucketAsync(string name, string location, string storageClass, CancellationToken cancellationToken)
    {
        var bucket = new R2Bucket(name, state.NowText(), location, storageClass);
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = Command(connection, """
            INSERT INTO r2_buckets (name, creation_date, location, storage_class) VALUES ($name, $created, $location, $class)
            ON CONFLICT (name) DO NOTHING
            """, ("$name", name), ("$created", bucket.CreationDate), ("$location", location), ("$class", storageClass));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1 ? bucket : null;
    }

    /// <summary>Deletes an empty bucket: <c>Deleted</c>, <c>Missing</c> or <c>NotEmpty</c> (checked in the same statement).</summary>
    public async Task<BucketDeletion> DeleteBucketAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = Command(connection, """
            DELETE FROM r2_buckets WHERE name = $name AND NOT EXISTS (SELECT 1 FROM r2_objects WHERE bucket = $name)
            """, ("$name", name));
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 1)
        {
            var folder = BucketFolder(name);
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }

            return BucketDeletion.Deleted;
        }

        return await GetBucketAsync(name, cancellationToken) is null ? BucketDeletion.Missing : BucketDeletion.NotEmpty;
    }

    /// <summary>
    /// Objects of <paramref name="bucket"/> whose key starts with <paramref name="prefix"/>, after <paramref name="after"/>,
    /// in UTF-8 byte order (SQLite's BINARY collation).
    /// </summary>
    public async Task<R2ObjectPage> ListObjectsAsync(string bucket, string prefix, string? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        // The upper bound keeps the index scan inside the prefix: U+10FFFF sorts after every character a key can hold.
        await using var command = Command(connection, """
            SELECT key, size, etag, uploaded, content_type FROM r2_objects
            WHERE bucket = $bucket AND key >= $prefix AND ($upper IS NULL OR key < $upper) AND ($after IS NULL OR key > $after)
            ORDER BY key LIMIT $limit
            """, ("$bucket", bucket), ("$prefix", prefix), ("$upper", prefix.Length == 0 ? null : prefix + "\U0010FFFF"),
            ("$after", after), ("$limit", limit + 1));
        var objects = new List<R2Object>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                objects.Add(new R2Object(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetString(4)));
            }
        }

        var truncated = objects.Count > limit;
        if (truncated)
        {
            objects.RemoveAt(objects.Count - 1);
        }

        return new R2ObjectPage(objects, truncated, objects.Count > 0 ? objects[^1].Key : null);
    }

    public async Task<R2Object?> GetObjectAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = Command(connection,
            "SELECT key, size, etag, uploaded, content_type FROM r2_objects WHERE bucket = $bucket AND key = $key",
            ("$bucket", bucket), ("$key", key));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new R2Object(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetString(4))
            : null;
    }

    /// <summary>The bytes of an object, or null when it does not exist.</summary>
    public async Task<(R2Object Object, byte[] Data)?> ReadObjectAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        if (await GetObjectAsync(bucket, key, cancellationToken) is not { } found)
        {
            return null;
        }

        try
        {
            return (found, await File.ReadAllBytesAsync(ObjectPath(bucket, key), cancellationToken));
        }
        catch (FileNotFoundException)
        {
            // Deleted between the row read and the file read.
            return null;
        }
    }

    /// <summary>Stores an object (replacing any); null when the bucket does not exist.</summary>
    public async Task<R2Object?> PutObjectAsync(string bucket, string key, ReadOnlyMemory<byte> data, string? contentType, CancellationToken cancellationToken)
    {
        if (await GetBucketAsync(bucket, cancellationToken) is null)
        {
            return null;
        }

        var folder = BucketFolder(bucket);
        Directory.CreateDirectory(folder);
        var path = ObjectPath(bucket, key);
        var temp = path + "." + CloudflareState.NewId() + ".tmp";
        await File.WriteAllBytesAsync(temp, data, cancellationToken);
        File.Move(temp, path, overwrite: true);

        // R2's ETag of a single-part upload is the MD5 of the body (an S3 convention, not a security use).
#pragma warning disable CA5351
        var etag = Convert.ToHexStringLower(MD5.HashData(data.Span));
#pragma warning restore CA5351
        var row = new R2Object(key, data.Length, etag, state.NowText(),
            string.IsNullOrEmpty(contentType) ? "application/octet-stream" : contentType);
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = Command(connection, """
            INSERT INTO r2_objects (bucket, key, size, etag, uploaded, content_type) VALUES ($bucket, $key, $size, $etag, $uploaded, $type)
            ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, etag = excluded.etag, uploaded = excluded.uploaded,
                content_type = excluded.content_type
            """, ("$bucket", bucket), ("$key", key), ("$size", row.Size), ("$etag", row.Etag), ("$uploaded", row.Uploaded), ("$type", row.ContentType));
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException e) when (e.SqliteExtendedErrorCode == 787)
        {
            // SQLITE_CONSTRAINT_FOREIGNKEY: the bucket was deleted meanwhile.
            File.Delete(path);
            return null;
        }

        return row;
    }

    /// <summary>Deletes an object; true when it existed.</summary>
    public async Task<bool> DeleteObjectAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = Command(connection, "DELETE FROM r2_objects WHERE bucket = $bucket AND key = $key", ("$bucket", bucket), ("$key", key));
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        File.Delete(ObjectPath(bucket, key));
        return deleted;
    }

    /// <summary>Object count and bytes per bucket now (the storage dataset's value for today).</summary>
    public async Task<IReadOnlyList<(string Bucket, long Objects, long Bytes)>> StorageAsync(CancellationToken cancellationToken)
    {
        await using var connection = await state.OpenMetadataAsync(cancellationToken);
        await using var command = Command(connection, """
            SELECT b.name, count(o.key), coalesce(sum(o.size), 0) FROM r2_buckets b LEFT JOIN r2_objects o ON o.bucket = b.name GROUP BY b.name
            """);
        var result = new List<(string, long, long)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        return result;
    }

    /// <summary>Counts <paramref name="operations"/> object operations on <paramref name="bucket"/> for analytics.</summary>
    public Task CountAsync(string bucket, int operations, CancellationToken cancellationToken) =>
        usage.AddAsync(OperationsDataset, bucket, "requests", operations, cancellationToken: cancellationToken);

    private string BucketFolder(string bucket) => Path.Combine(state.AreaDirectory("r2"), bucket);

    private string ObjectPath(string bucket, string key) =>
        Path.Combine(BucketFolder(bucket), Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))));

    private static R2Bucket ReadBucket(SqliteDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3));

    internal static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }
}

internal enum BucketDeletion
{
    Deleted,
    Missing,
    NotEmpty,
}
