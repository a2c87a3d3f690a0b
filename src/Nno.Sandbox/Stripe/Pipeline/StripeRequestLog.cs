namespace Nno.Sandbox.Stripe.Pipeline;

/// <summary>One answered request as <c>GET /stripe/_admin/requests</c> shows it (never the key).</summary>
public sealed record StripeRequestEntry(
    long Seq, DateTimeOffset At, string Method, string Path, string? Query, int Status, string RequestId,
    string? StripeVersion, string? IdempotencyKey, bool Replayed);

/// <summary>The last requests the emulator answered, in memory (newest 10,000).</summary>
public sealed class StripeRequestLog
{
    private const int Capacity = 10_000;
    private readonly Lock _gate = new();
    private readonly LinkedList<StripeRequestEntry> _entries = new();
    private long _seq;

    /// <summary>Records one answered request (its sequence number is assigned here).</summary>
    public void Add(StripeRequestEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_gate)
        {
            _entries.AddLast(entry with { Seq = ++_seq });
            if (_entries.Count > Capacity)
            {
                _entries.RemoveFirst();
            }
        }
    }

    /// <summary>Entries after sequence number <paramref name="afterSeq"/> and at or after <paramref name="since"/>.</summary>
    public IReadOnlyList<StripeRequestEntry> Read(long afterSeq, DateTimeOffset? since)
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
}
