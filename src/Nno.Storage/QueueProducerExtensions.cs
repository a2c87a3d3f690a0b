using System.Text.Json;

namespace Nno.Storage;

/// <summary>Conveniences over <see cref="IQueueProducer"/>.</summary>
public static class QueueProducerExtensions
{
    /// <summary>Sends <paramref name="body"/> as a JSON message (<see cref="StorageJson.Options"/> unless <paramref name="json"/> is given).</summary>
    public static Task<string> SendJsonAsync<T>(this IQueueProducer producer, T body, TimeSpan? delay = null, JsonSerializerOptions? json = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(producer);
        return producer.SendAsync(QueueSendRequest.Json(body, delay, json), cancellationToken);
    }

    /// <summary>Sends <paramref name="body"/> as a UTF-8 text message.</summary>
    public static Task<string> SendTextAsync(this IQueueProducer producer, string body, TimeSpan? delay = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(producer);
        return producer.SendAsync(QueueSendRequest.Text(body, delay), cancellationToken);
    }
}
