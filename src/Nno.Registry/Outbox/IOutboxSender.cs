using Nno.Registry.Data;

namespace Nno.Registry.Outbox;

/// <summary>
/// Performs the effect of one outbox kind (registry.md §4.2). One registration per kind
/// (<see cref="OutboxRegistration.AddOutboxSender{TSender}"/>); a kind without a sender is never claimed, so its rows stay
/// pending (and visible in <c>nno_registry_outbox_pending</c>) until its sender is registered. Senders are scoped: each
/// pass resolves them from a fresh scope.
/// </summary>
internal interface IOutboxSender
{
    /// <summary>The kind this sender performs (one of <see cref="OutboxKinds"/>).</summary>
    string Kind { get; }

    /// <summary>
    /// Performs <paramref name="row"/>'s effect with <c>Idempotency-Key: {row.Id}</c> where the target takes one. Known
    /// failures come back as results, never as exceptions; <paramref name="cancellationToken"/> also carries the call's
    /// timeout.
    /// </summary>
    Task<OutboxSendResult> SendAsync(OutboxRecord row, CancellationToken cancellationToken);
}

/// <summary>What happened to a row's effect.</summary>
internal enum OutboxSendOutcome
{
    /// <summary>Done (including "nothing to do"): the row completes.</summary>
    Done,

    /// <summary>Try again later (network, timeout, 408, 429, 5xx, or a prerequisite not met yet).</summary>
    Retry,

    /// <summary>The target refused for good: the object is marked failed and the row completes with the error.</summary>
    Failed,
}

/// <summary>
/// A sender's answer. <see cref="Apply"/>, when set, records the outcome on the object (org id, failure) and runs in the
/// same transaction that settles the row, so the outcome and the row's completion are committed together.
/// </summary>
internal sealed record OutboxSendResult(
    OutboxSendOutcome Outcome,
    string? Error = null,
    TimeSpan? RetryAfter = null,
    Func<RegistryDbContext, CancellationToken, Task>? Apply = null)
{
    public static OutboxSendResult Done(Func<RegistryDbContext, CancellationToken, Task>? apply = null) => new(OutboxSendOutcome.Done, Apply: apply);

    public static OutboxSendResult Retry(string error, TimeSpan? retryAfter = null) => new(OutboxSendOutcome.Retry, error, retryAfter);

    public static OutboxSendResult Failed(string error, Func<RegistryDbContext, CancellationToken, Task>? apply = null) => new(OutboxSendOutcome.Failed, error, Apply: apply);
}
