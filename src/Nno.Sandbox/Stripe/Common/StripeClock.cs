namespace Nno.Sandbox.Stripe.Common;

/// <summary>
/// Something with transitions due at sandbox times (the billing engine: renewals, finalizations, retries, trial ends).
/// Register it as a singleton <see cref="IStripeClockHook"/>; <see cref="StripeClock.AdvanceAsync"/> runs every due
/// transition in time order, with the sandbox clock set to the transition's time while it runs.
/// </summary>
public interface IStripeClockHook
{
    /// <summary>The time of the hook's earliest pending transition, or null when it has none.</summary>
    Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken);

    /// <summary>Runs the transitions due at or before <paramref name="now"/> (the sandbox time).</summary>
    Task RunDueAsync(DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>
/// The sandbox clock: the host's <see cref="TimeProvider"/> time plus an offset kept in <c>stripe.db</c> (so it
/// survives a restart) and moved forward by admin <c>advance</c>. Every Stripe timestamp (<c>created</c>, periods,
/// event times) reads it. One per application (singleton).
/// </summary>
public sealed class StripeClock(StripeStore store, TimeProvider time, IEnumerable<IStripeClockHook> hooks) : IDisposable
{
    private readonly SemaphoreSlim _advance = new(1, 1);
    private readonly IStripeClockHook[] _hooks = hooks.ToArray();
    private long _offsetSeconds;
    private volatile bool _loaded;

    public void Dispose() => _advance.Dispose();

    /// <summary>The offset read at start (call once after the schema exists) or after a reset.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await store.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT offset_seconds FROM clock WHERE id = 1";
        Interlocked.Exchange(ref _offsetSeconds, await command.ExecuteScalarAsync(cancellationToken) is long offset ? offset : 0);
        _loaded = true;
    }

    /// <summary>Seconds the sandbox clock runs ahead of the host's clock.</summary>
    public long OffsetSeconds => _loaded ? Interlocked.Read(ref _offsetSeconds) : throw new InvalidOperationException("The Stripe clock is not loaded.");

    /// <summary>The sandbox time now.</summary>
    public DateTimeOffset Now => time.GetUtcNow().AddSeconds(OffsetSeconds);

    /// <summary>The sandbox time now as Unix seconds (Stripe's timestamp format).</summary>
    public long UnixNow => Now.ToUnixTimeSeconds();

    /// <summary>
    /// Moves the sandbox clock forward by <paramref name="seconds"/>: every hook transition due before the target runs,
    /// earliest first, with the clock standing at its due time; then the clock stands at the target. Returns the new time.
    /// </summary>
    public async Task<DateTimeOffset> AdvanceAsync(long seconds, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seconds);
        await _advance.WaitAsync(cancellationToken);
        try
        {
            var target = Now.AddSeconds(seconds);
            while (true)
            {
                IStripeClockHook? next = null;
                DateTimeOffset nextDue = default;
                foreach (var hook in _hooks)
                {
                    if (await hook.NextDueAsync(cancellationToken) is { } due && due <= target && (next is null || due < nextDue))
                    {
                        next = hook;
                        nextDue = due;
                    }
                }

                if (next is null)
                {
                    break;
                }

                if (nextDue > Now)
                {
                    await SetOffsetAsync(OffsetFor(nextDue), cancellationToken);
                }

                await next.RunDueAsync(Now, cancellationToken);
            }

            await SetOffsetAsync(Math.Max(OffsetSeconds, OffsetFor(target)), cancellationToken);
            return Now;
        }
        finally
        {
            _advance.Release();
        }
    }

    /// <summary>Whole seconds to add to the host clock so it reads at least <paramref name="at"/>.</summary>
    private long OffsetFor(DateTimeOffset at) => (long)Math.Ceiling((at - time.GetUtcNow()).TotalSeconds);

    private async Task SetOffsetAsync(long offset, CancellationToken cancellationToken)
    {
        await store.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "UPDATE clock SET offset_seconds = $offset WHERE id = 1";
            command.Parameters.AddWithValue("$offset", offset);
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
        Interlocked.Exchange(ref _offsetSeconds, offset);
    }
}
