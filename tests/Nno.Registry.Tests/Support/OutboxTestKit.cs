using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Nno.Core.Services;
using Nno.Registry.Outbox;
using Nno.ServiceDefaults.Data;
using Nno.Storage;
using Nno.Storage.Sqlite;

namespace Nno.Registry.Tests.Support;

/// <summary>
/// Failure injection in front of the real IAM: the next requests matching a method and path prefix get a planned answer
/// (status, optional <c>Retry-After</c>, optional envelope details) instead of reaching IAM. Every request is counted.
/// </summary>
public sealed class IamFaults
{
    private readonly ConcurrentQueue<(string Method, string PathPrefix, int Status, string? RetryAfter, string? DetailsJson)> _planned = new();
    private readonly ConcurrentQueue<string> _seen = new();

    /// <summary>Requests that reached the fault layer, as "METHOD /path".</summary>
    public IReadOnlyCollection<string> Seen => _seen;

    public void Fail(string method, string pathPrefix, int status, int times = 1, string? retryAfter = null, string? detailsJson = null)
    {
        for (var i = 0; i < times; i++)
        {
            _planned.Enqueue((method, pathPrefix, status, retryAfter, detailsJson));
        }
    }

    public void Install(string service, WebApplication app)
    {
        if (service != NnoServices.Iam)
        {
            return;
        }

        app.Use(async (HttpContext context, RequestDelegate next) =>
        {
            var path = context.Request.Path.Value ?? string.Empty;
            _seen.Enqueue(context.Request.Method + " " + path);
            if (_planned.TryPeek(out var plan) && plan.Method == context.Request.Method && path.StartsWith(plan.PathPrefix, StringComparison.Ordinal)
                && _planned.TryDequeue(out plan))
            {
                context.Response.StatusCode = plan.Status;
                if (plan.RetryAfter is not null)
                {
                    context.Response.Headers.RetryAfter = plan.RetryAfter;
                }

                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"error\":{\"code\":\"INJECTED\",\"message\":\"injected by the test\",\"details\":" + (plan.DetailsJson ?? "null") + ",\"requestId\":\"req_test\"}}", Encoding.UTF8);
                return;
            }

            await next(context);
        });
    }
}

/// <summary>The Registry's KV store, switchable to fail like an unreachable KV (registry.md §7 test 18).</summary>
public sealed class SwitchableKv : IKeyValueStore
{
    private IKeyValueStore? _inner;

    public volatile bool Failing;

    public void Register(string service, WebApplicationBuilder builder)
    {
        if (service != NnoServices.Registry)
        {
            return;
        }

        builder.Services.Replace(ServiceDescriptor.Singleton<IKeyValueStore>(sp =>
        {
            _inner = sp.GetRequiredService<SqliteKeyValueStore>();
            return this;
        }));
    }

    public IKeyValueNamespace GetNamespace(string name) => new Namespace(this, (_inner ?? throw new InvalidOperationException("Not registered.")).GetNamespace(name));

    private sealed class Namespace(SwitchableKv owner, IKeyValueNamespace inner) : IKeyValueNamespace
    {
        public string Name => inner.Name;

        public Task<KvEntry?> GetAsync(string key, CancellationToken cancellationToken = default) =>
            owner.Failing ? throw new IOException("The KV is unreachable (test).") : inner.GetAsync(key, cancellationToken);

        public Task PutAsync(string key, ReadOnlyMemory<byte> value, KvPutOptions? options = null, CancellationToken cancellationToken = default) =>
            owner.Failing ? throw new IOException("The KV is unreachable (test).") : inner.PutAsync(key, value, options, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) =>
            owner.Failing ? throw new IOException("The KV is unreachable (test).") : inner.DeleteAsync(key, cancellationToken);

        public Task<KvListResult> ListAsync(KvListOptions? options = null, CancellationToken cancellationToken = default) =>
            owner.Failing ? throw new IOException("The KV is unreachable (test).") : inner.ListAsync(options, cancellationToken);
    }
}

/// <summary>Outbox, KV and IAM helpers for the relay tests.</summary>
internal static class OutboxTestKit
{
    /// <summary>Waits (real time, bounded) until <paramref name="condition"/> holds; the relay works in the background.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(20);
        }
    }

    /// <summary>Moves the fake clock forward in small steps until <paramref name="condition"/> holds (each step lets the relay run).</summary>
    public static async Task AdvanceUntilAsync(this RegistryHost host, Func<Task<bool>> condition, TimeSpan step, string what, int maxSteps = 400)
    {
        for (var i = 0; i < maxSteps; i++)
        {
            if (await condition())
            {
                return;
            }

            host.Time.Advance(step);
            await Task.Delay(15);
        }

        Assert.Fail("the clock moved " + maxSteps + " steps without " + what);
    }

    public static Task<OutboxRecord> RowAsync(this RegistryHost host, string id) =>
        host.WithDbAsync(db => db.Outbox.AsNoTracking().SingleAsync(o => o.Id == id));

    /// <summary>Inserts an outbox row directly (as a committed unit of work would) without waking the relay.</summary>
    public static Task<string> InsertOutboxAsync(this RegistryHost host, string kind, string platformId, string? targetId, string payload, long? nextAttemptAt = null, string? lockedBy = null, long? lockedUntil = null) =>
        host.WithDbAsync(async db =>
        {
            var now = host.Time.GetUtcNow().ToUnixTimeMilliseconds();
            var id = "obx_" + Guid.NewGuid().ToString("N")[..16];
            db.Outbox.Add(new OutboxRecord
            {
                Id = id, Kind = kind, PlatformId = platformId, TargetId = targetId, Payload = payload, NextAttemptAt = nextAttemptAt ?? now,
                CreatedAt = now, LockedBy = lockedBy, LockedUntil = lockedUntil,
            });
            await db.SaveChangesAsync();
            return id;
        });

    public static void Wake(this RegistryHost host) => host.Services.GetRequiredService<IOutboxSignal>().Wake();

    public static IKeyValueNamespace Kv(this RegistryHost host) => host.Services.GetRequiredService<SqliteKeyValueStore>().GetNamespace(KvNamespaces.PlatformStatus);

    /// <summary>Creates an IAM user directly in IAM's database (test setup; the Registry only ever refers to users by id).</summary>
    public static string CreateIamUser(this RegistryHost host)
    {
        var id = "usr_" + Guid.NewGuid().ToString("N")[..20];
        using var connection = new SqliteConnection($"Data Source={NnoDatabase.FilePath(host.Platform.DataDir, NnoServices.IamInfo.Database!)};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO users (id, email, email_normalized, name, email_verified, role, created_at, updated_at) VALUES ($id, $email, $email, 'Test', 1, 'user', 1, 1)";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$email", id + "@example.com");
        command.ExecuteNonQuery();
        return id;
    }

    /// <summary>One value read from IAM's database (null when no row).</summary>
    public static string? IamScalar(this RegistryHost host, string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = new SqliteConnection($"Data Source={NnoDatabase.FilePath(host.Platform.DataDir, NnoServices.IamInfo.Database!)};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command.ExecuteScalar()?.ToString();
    }

    /// <summary>The current values of <c>nno_registry_outbox_pending</c> of this host's meter, by kind.</summary>
    public static Dictionary<string, long> PendingGauge(this RegistryHost host)
    {
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == OutboxMetrics.PendingGauge && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "kind" && tag.Value is string kind)
                {
                    values[kind] = value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }
}
