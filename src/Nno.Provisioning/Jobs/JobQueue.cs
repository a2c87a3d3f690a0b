using Nno.Storage;

namespace Nno.Provisioning.Jobs;

/// <summary>The <c>provision-queue</c> message: the job row is the truth, the message only says which run and phase to work on.</summary>
internal sealed record JobMessage(string JobId, int RunNumber, string Phase);

/// <summary>Sends job messages to <c>provision-queue</c>.</summary>
internal sealed class JobQueue(IQueueStore queues)
{
    public Task SendAsync(string jobId, int runNumber, string phase, TimeSpan? delay, CancellationToken cancellationToken) =>
        queues.GetProducer(QueueNames.Provision).SendAsync(QueueSendRequest.Json(new JobMessage(jobId, runNumber, phase), delay > TimeSpan.Zero ? delay : null), cancellationToken);
}
