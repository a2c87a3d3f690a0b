using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Nno.Storage;

/// <summary>Cloudflare Queues' rules for names, sizes and delays, shared by every implementation.</summary>
internal static partial class QueueRules
{
    /// <summary>Longest error text kept with a retried or dead-lettered message.</summary>
    public const int MaxErrorLength = 2000;

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Name();

    public static bool IsValidName(string? name) => name is not null && Name().IsMatch(name);

    public static void ValidateName(string queueName)
    {
        ArgumentNullException.ThrowIfNull(queueName);
        if (!IsValidName(queueName))
        {
            throw new ArgumentException($"Invalid queue name '{queueName}': 1-63 characters of [a-z0-9-], no leading or trailing hyphen.", nameof(queueName));
        }
    }

    public static void ValidateDelay(TimeSpan? delay, QueueLimits limits, string parameter)
    {
        if (delay is { } d && (d < TimeSpan.Zero || d > limits.MaxDelay))
        {
            throw new ArgumentOutOfRangeException(parameter, $"A queue delay is between 0 and {limits.MaxDelay.TotalSeconds:0} s.");
        }
    }

    public static List<QueueSendRequest> ValidateBatch(IEnumerable<QueueSendRequest> messages, TimeSpan? delay, QueueLimits limits)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ValidateDelay(delay, limits, nameof(delay));
        var list = messages.ToList();
        if (list.Count == 0 || list.Count > limits.MaxBatchMessages)
        {
            throw new ArgumentException($"A batch holds 1-{limits.MaxBatchMessages} messages.", nameof(messages));
        }

        long total = 0;
        foreach (var message in list)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            if (message.Body.Length > limits.MaxMessageBytes)
            {
                throw new ArgumentException($"A message body is at most {limits.MaxMessageBytes} bytes.", nameof(messages));
            }

            if (!Enum.IsDefined(message.ContentType))
            {
                throw new ArgumentException("Unknown content type.", nameof(messages));
            }

            ValidateDelay(message.Delay, limits, nameof(messages));
            total += message.Body.Length;
        }

        if (total > limits.MaxBatchBytes)
        {
            throw new ArgumentException($"A batch is at most {limits.MaxBatchBytes} bytes.", nameof(messages));
        }

        return list;
    }

    public static string? TrimError(string? error) =>
        error is null || error.Length <= MaxErrorLength ? error : error[..MaxErrorLength];

    /// <summary>A random 128-bit id as 32 lowercase hex characters (Cloudflare's message id shape).</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static string ToStored(QueueContentType type) => type switch
    {
        QueueContentType.Json => "json",
        QueueContentType.Text => "text",
        _ => "bytes",
    };

    public static QueueContentType FromStored(string stored) => stored switch
    {
        "json" => QueueContentType.Json,
        "text" => QueueContentType.Text,
        _ => QueueContentType.Bytes,
    };
}
