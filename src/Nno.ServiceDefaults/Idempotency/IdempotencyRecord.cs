namespace Nno.ServiceDefaults.Idempotency;

/// <summary>Where a stored <c>Idempotency-Key</c> stands.</summary>
public enum IdempotencyState
{
    /// <summary>The first request for the key is still running; a repeat answers 409 "retry".</summary>
    InProgress,

    /// <summary>The first response is stored and replayed for a repeat with the same request.</summary>
    Completed,

    /// <summary>The first response carried a secret and was not stored; a repeat answers 409 with the created id.</summary>
    SecretBearing,
}

/// <summary>
/// One row of <c>idempotency_keys</c> (00-system §7): the first response a principal got for an <c>Idempotency-Key</c>,
/// kept in the owning service's own database until <see cref="ExpiresAt"/>.
/// </summary>
public sealed class IdempotencyRecord
{
    /// <summary>Who sent the request (<c>user:…</c>, <c>apikey:…</c>, <c>static-key:…</c>, <c>svc:…</c>).</summary>
    public required string Principal { get; set; }

    /// <summary>The <c>Idempotency-Key</c> header value.</summary>
    public required string Key { get; set; }

    /// <summary>Lowercase hex SHA-256 of method, path, query and body.</summary>
    public required string RequestHash { get; set; }

    public IdempotencyState State { get; set; }

    /// <summary>Status of the stored response (null while in progress and for secret-bearing responses).</summary>
    public int? StatusCode { get; set; }

    public string? ContentType { get; set; }

    /// <summary>The replayed response headers (<c>Location</c>, …) as a JSON object of string arrays.</summary>
    public string? ResponseHeaders { get; set; }

    /// <summary>The response body exactly as first sent (never set for secret-bearing responses).</summary>
    public byte[]? ResponseBody { get; set; }

    /// <summary>For secret-bearing responses: the id of the created object, returned in the repeat's 409 <c>details.id</c>.</summary>
    public string? ResourceId { get; set; }

    /// <summary>Unix milliseconds.</summary>
    public long CreatedAt { get; set; }

    /// <summary>Unix milliseconds; the row is ignored from then on and purged by the cleanup.</summary>
    public long ExpiresAt { get; set; }
}
