namespace Nno.Sandbox.Cloudflare.Pipeline;

/// <summary>One request as <c>GET /_admin/requests</c> shows it (the token masked to its last 4 characters).</summary>
public sealed record CloudflareRequestEntry(long Seq, DateTimeOffset At, string Method, string Path, string? Query, int Status, string? Token);

/// <summary>The last requests the emulator answered, in memory (newest 10,000).</summary>
public sealed class CloudflareRequestLog
{
    private const int Capacity = 10_000;
    private readonly Lock _gate = new();
    private readonly LinkedList<CloudflareRequestEntry> _entries = new();
    private long _seq;

    /// <summary>Records one answered request.</summary>
    public void Add(DateTimeOffset at, string method, string path, string? query, int status, string? token)
    {
        lock (_gate)
        {
            _entries.AddLast(new CloudflareRequestEntry(++_seq, at, method, path, query, status, Mask(token)));
            if (_entries.Count > Capacity)
            {
                _entries.RemoveFirst();
            }
        }
    }

    /// <summary>Entries after sequence number <paramref name="afterSeq"/> and at or after <paramref name="since"/>.</summary>
    public IReadOnlyList<CloudflareRequestEntry> Read(long afterSeq, DateTimeOffset? since)
    {
        lock (_gate)
        {
            return _entries.Where(e => e.Seq > afterSeq && (since is null || e.At >= since)).ToArray();
        }
    }

    /// <summary>Forgets everything (admin reset); sequence numbers keep rising so a reader's cursor stays valid.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
        }
    }

    /// <summary>Never the token itself: <c>…abcd</c>.</summary>
    public static string? Mask(string? token) =>
        string.IsNullOrEmpty(token) ? null : token.Length <= 4 ? "…" : "…" + token[^4..];
}
