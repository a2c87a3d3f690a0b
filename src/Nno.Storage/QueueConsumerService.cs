using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Nno.Storage;

/// <summary>Handles one delivered batch. Messages it leaves unsettled are acked when it returns and retried when it throws.</summary>
public interface IQueueBatchHandler
{
    Task HandleAsync(IQueueBatch batch, CancellationToken cancellationToken);
}

/// <summary>
/// A hosted consumer loop (Cloudflare's push consumer): receives batches of one queue with its configured batching,
/// resolves the handler in a fresh DI scope per batch, acks what the handler left unsettled when it returns and
/// retries it (with the exception as last error) when it throws. While the handler runs, the batch's lease is renewed
/// every third of the visibility timeout, so only a dead process lets its messages be delivered again.
/// </summary>
public sealed partial class QueueConsumerService(
    string queueName,
    IQueueStore queues,
    IServiceScopeFactory scopes,
    Func<IServiceProvider, IQueueBatchHandler> handlerFactory,
    TimeProvider time,
    ILogger<QueueConsumerService> logger,
    QueueOptions? options = null) : BackgroundService
{
    public string QueueName { get; } = queueName;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var consumer = queues.GetConsumer(QueueName, options);
        var loops = Enumerable.Range(0, consumer.Options.MaxConcurrency).Select(_ => RunLoopAsync(consumer, stoppingToken));
        await Task.WhenAll(loops);
    }

    private async Task RunLoopAsync(IQueueConsumer consumer, CancellationToken stoppingToken)
    {
        // Leave the caller's start-up path at once: the loop runs on the thread pool.
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            IQueueBatch batch;
            try
            {
                batch = await consumer.ReceiveAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The loop must outlive a failed poll (locked or unavailable store): log and try again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogReceiveFailed(logger, ex, QueueName);
                try
                {
                    await Task.Delay(consumer.Options.PollInterval, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            await HandleAsync(consumer, batch, stoppingToken);
        }
    }

    private async Task HandleAsync(IQueueConsumer consumer, IQueueBatch batch, CancellationToken stoppingToken)
    {
        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var renewing = RenewLeaseAsync(batch, consumer.Options.VisibilityTimeout, renewal.Token);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var handler = handlerFactory(scope.ServiceProvider);
            await handler.HandleAsync(batch, stoppingToken);
            await renewal.CancelAsync();
            // Settle even while stopping: the work is done and must not run again.
            await batch.AckAllAsync(CancellationToken.None);
        }
#pragma warning disable CA1031 // A failing handler is the consumer's normal retry path (Cloudflare retries the batch).
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await renewal.CancelAsync();
            if (ex is OperationCanceledException && stoppingToken.IsCancellationRequested)
            {
                LogStoppedMidBatch(logger, QueueName, batch.Messages.Count);
            }
            else
            {
                LogHandlerFailed(logger, ex, QueueName, batch.Messages.Count);
            }

            try
            {
                await batch.RetryAllAsync(error: $"{ex.GetType().Name}: {ex.Message}", cancellationToken: CancellationToken.None);
            }
#pragma warning disable CA1031 // The messages stay leased and come back when the lease expires; nothing is lost.
            catch (Exception retryError)
#pragma warning restore CA1031
            {
                LogRetryFailed(logger, retryError, QueueName);
            }
        }
        finally
        {
            await renewing;
        }
    }

    private async Task RenewLeaseAsync(IQueueBatch batch, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(visibilityTimeout / 3, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await batch.ExtendLeaseAsync(visibilityTimeout, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // The handler finished.
        }
#pragma warning disable CA1031 // A failed renewal only risks a duplicate delivery, which at-least-once allows.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogRenewFailed(logger, ex, QueueName);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Queue {Queue}: receiving a batch failed; trying again after the poll interval")]
    private static partial void LogReceiveFailed(ILogger logger, Exception exception, string queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue {Queue}: handler failed on a batch of {Count}; unsettled messages retried")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string queue, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Queue {Queue}: stopping during a batch of {Count}; unsettled messages retried")]
    private static partial void LogStoppedMidBatch(ILogger logger, string queue, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Queue {Queue}: retrying a failed batch failed; its messages return when their lease expires")]
    private static partial void LogRetryFailed(ILogger logger, Exception exception, string queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue {Queue}: renewing a batch lease failed")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception, string queue);
}
