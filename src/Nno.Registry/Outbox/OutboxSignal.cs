namespace Nno.Registry.Outbox;

/// <summary>
/// Wakes the outbox relay in this process. The unit of work calls <see cref="Wake"/> right after committing a change that
/// wrote outbox rows, so their effects start at once instead of at the next poll (registry.md §4.2).
/// </summary>
public interface IOutboxSignal
{
    /// <summary>Asks the relay for a pass now; cheap, never blocks, and many calls before the pass are one wake-up.</summary>
    void Wake();
}

/// <summary>The in-process <see cref="IOutboxSignal"/>: a binary semaphore the relay waits on beside its poll delay.</summary>
internal sealed class OutboxSignal : IOutboxSignal, IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Wake()
    {
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another caller woke the relay first: one wake-up is enough.
            }
        }
    }

    /// <summary>Completes when woken (true) or when <paramref name="cancellationToken"/> is cancelled.</summary>
    public Task<bool> WaitAsync(CancellationToken cancellationToken) => _signal.WaitAsync(Timeout.InfiniteTimeSpan, cancellationToken);

    public void Dispose() => _signal.Dispose();
}
