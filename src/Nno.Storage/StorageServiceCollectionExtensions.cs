using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Storage.Sqlite;

namespace Nno.Storage;

/// <summary>Registers NNO's KV and queue stores.</summary>
public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Embedded storage (all-in-one mode): <see cref="IKeyValueStore"/> and <see cref="IQueueStore"/> on SQLite files
    /// under the data directory, options from <c>Nno:Storage</c> (data directory defaulting to <c>Nno:DataDir</c>), and
    /// the KV expiry cleanup. <paramref name="configure"/> runs after configuration binding.
    /// </summary>
    public static IServiceCollection AddNnoEmbeddedStorage(this IServiceCollection services, Action<NnoStorageOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        var options = services.AddOptions<NnoStorageOptions>();
        options.Configure<IServiceProvider>((o, sp) =>
        {
            // Optional: a bare ServiceCollection (tools, benchmarks) has no configuration.
            if (sp.GetService<IConfiguration>() is { } configuration)
            {
                configuration.GetSection(NnoStorageOptions.Section).Bind(o);
                o.DataDir ??= configuration["Nno:DataDir"] ?? Path.Combine(".nno", configuration["Nno:Environment"] ?? "local");
            }
        });
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.PostConfigure(o => o.DataDir ??= Path.Combine(".nno", "local"));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NnoStorageOptions>, NnoStorageOptionsValidator>());
        options.ValidateOnStart();

        services.TryAddSingleton<SqliteKeyValueStore>();
        services.TryAddSingleton<IKeyValueStore>(sp => sp.GetRequiredService<SqliteKeyValueStore>());
        services.TryAddSingleton<SqliteQueueStore>();
        services.TryAddSingleton<IQueueStore>(sp => sp.GetRequiredService<SqliteQueueStore>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, KvExpiryCleanupService>());
        return services;
    }

    /// <summary>Embedded storage under <paramref name="dataDir"/>.</summary>
    public static IServiceCollection AddNnoEmbeddedStorage(this IServiceCollection services, string dataDir) =>
        services.AddNnoEmbeddedStorage(o => o.DataDir = dataDir);

    /// <summary>
    /// A hosted consumer of <paramref name="queueName"/> calling <typeparamref name="THandler"/> (resolved per batch
    /// from a new scope) with the queue's configured settings, or <paramref name="options"/> instead.
    /// </summary>
    public static IServiceCollection AddQueueConsumer<THandler>(this IServiceCollection services, string queueName, QueueOptions? options = null)
        where THandler : class, IQueueBatchHandler
    {
        ArgumentNullException.ThrowIfNull(services);
        QueueRules.ValidateName(queueName);
        services.TryAddScoped<THandler>();
        return services.AddQueueConsumer(queueName, sp => sp.GetRequiredService<THandler>(), options);
    }

    /// <summary>A hosted consumer of <paramref name="queueName"/> with a handler built by <paramref name="handlerFactory"/> from the batch's scope.</summary>
    public static IServiceCollection AddQueueConsumer(this IServiceCollection services, string queueName, Func<IServiceProvider, IQueueBatchHandler> handlerFactory, QueueOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(handlerFactory);
        QueueRules.ValidateName(queueName);
        services.AddSingleton<IHostedService>(sp => new QueueConsumerService(
            queueName,
            sp.GetRequiredService<IQueueStore>(),
            sp.GetRequiredService<IServiceScopeFactory>(),
            handlerFactory,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<QueueConsumerService>>(),
            options));
        return services;
    }
}
