using System.Threading.Channels;

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

/// <summary>
/// Wakes the outbox relay in-process after a commit that wrote outbox rows (registry.md §4.2: "woken after each commit
/// and also polls every second"). Many signals before the relay looks collapse into one.
/// </summary>
internal sealed class OutboxSignal : IOutboxSignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Says there is new work.</summary>
    public void Notify() => _channel.Writer.TryWrite(true);

    /// <inheritdoc />
    public void Wake() => Notify();

    /// <summary>Waits until <see cref="Notify"/> was called (or returns at once when it was since the last wait).</summary>
    public async Task WaitAsync(CancellationToken cancellationToken) => await _channel.Reader.ReadAsync(cancellationToken);

    /// <summary>Consumes a pending signal without waiting; true when there was one.</summary>
    public bool TryConsume() => _channel.Reader.TryRead(out _);
}
