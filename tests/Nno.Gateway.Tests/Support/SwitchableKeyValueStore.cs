using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Nno.Storage;
using Nno.Storage.Sqlite;

namespace Nno.Gateway.Tests.Support;

/// <summary>
/// The gateway's <see cref="IKeyValueStore"/> in tests that need the KV to misbehave: it passes reads through to the
/// real store and counts them per key, and can be switched to fail (<see cref="Failing"/>) or to hold reads until
/// released (<see cref="Gate"/>). Register it for the gateway only with <see cref="Register"/>.
/// </summary>
public sealed class SwitchableKeyValueStore : IKeyValueStore
{
    private readonly ConcurrentDictionary<string, int> _reads = new(StringComparer.Ordinal);
    private IKeyValueStore? _inner;

    /// <summary>True: every call throws, as an unreachable KV does.</summary>
    public volatile bool Failing;

    /// <summary>When set, reads wait for it (after counting and signalling <see cref="ReadArrived"/>).</summary>
    public volatile TaskCompletionSource? Gate;

    /// <summary>Completed when a read reaches the store while <see cref="Gate"/> is set.</summary>
    public TaskCompletionSource ReadArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Replaces the gateway's store with this wrapper around the embedded store it registered.</summary>
    public void Register(IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton<IKeyValueStore>(sp =>
        {
            _inner = sp.GetRequiredService<SqliteKeyValueStore>();
            return this;
        }));

    /// <summary>How many reads of <paramref name="key"/> reached the store.</summary>
    public int Reads(string key) => _reads.GetValueOrDefault(key);

    public IKeyValueNamespace GetNamespace(string name) =>
        Failing ? throw new IOException("The KV is unreachable (test).") : new Namespace(this, (_inner ?? throw new InvalidOperationException("Not registered.")).GetNamespace(name));

    private sealed class Namespace(SwitchableKeyValueStore owner, IKeyValueNamespace inner) : IKeyValueNamespace
    {
        public string Name => inner.Name;

        public async Task<KvEntry?> GetAsync(string key, CancellationToken cancellationToken = default)
        {
            owner._reads.AddOrUpdate(key, 1, (_, n) => n + 1);
            if (owner.Gate is { } gate)
            {
                owner.ReadArrived.TrySetResult();
                await gate.Task.WaitAsync(cancellationToken);
            }

            return owner.Failing ? throw new IOException("The KV is unreachable (test).") : await inner.GetAsync(key, cancellationToken);
        }

        public Task PutAsync(string key, ReadOnlyMemory<byte> value, KvPutOptions? options = null, CancellationToken cancellationToken = default) =>
            owner.Failing ? throw new IOException("The KV is unreachable (test).") : inner.PutAsync(key, value, options, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) =>
            owner.Failing ? throw new IOException("The KV is unreachable (test).") : inner.DeleteAsync(key, cancellationToken);

        public Task<KvListResult> ListAsync(KvListOptions? options = null, CancellationToken cancellationToken = default) =>
            owner.Failing ? throw new IOException("The KV is unreachable (test).") : inner.ListAsync(options, cancellationToken);
    }
}
