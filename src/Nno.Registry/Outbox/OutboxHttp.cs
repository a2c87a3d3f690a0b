using System.Net;
using System.Text.Json;

namespace Nno.Registry.Outbox;

/// <summary>How a relayed HTTP call ended, in the terms of registry.md §4.2.</summary>
internal enum OutboxHttpOutcome
{
    Success,

    /// <summary>408, 429, 5xx: try again later.</summary>
    Transient,

    /// <summary>404 whose <c>details.resource</c> names the object the call was about: nothing left to do.</summary>
    NothingToDo,

    /// <summary>Any other 4xx (including a 404 without the expected resource: a missing route is never "done").</summary>
    Permanent,
}

/// <summary>A classified answer: its outcome, the envelope's code and reason, an error text for <c>last_error</c>, and <c>Retry-After</c>.</summary>
internal sealed record OutboxHttpAnswer(OutboxHttpOutcome Outcome, HttpStatusCode Status, string? Code, string? Reason, string Error, TimeSpan? RetryAfter);

/// <summary>Classification of relayed calls' answers, shared by every HTTP sender.</summary>
internal static class OutboxHttp
{
    /// <summary>
    /// Reads <paramref name="response"/>: success, transient (with <c>Retry-After</c> as a delay or a date on
    /// <paramref name="time"/>), "nothing to do" (a 404 naming <paramref name="doneResource"/>), or permanent.
    /// </summary>
    public static async Task<OutboxHttpAnswer> ClassifyAsync(HttpResponseMessage response, string? doneResource, TimeProvider time, CancellationToken cancellationToken)
    {
        var status = response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            return new OutboxHttpAnswer(OutboxHttpOutcome.Success, status, null, null, string.Empty, null);
        }

        string? code = null, message = null, resource = null, reason = null;
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                code = StringOf(error, "code");
                message = StringOf(error, "message");
                if (error.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Object)
                {
                    resource = StringOf(details, "resource");
                    reason = StringOf(details, "reason");
                }
            }
        }
        catch (JsonException)
        {
            // Not an envelope (a proxy's page, an empty body): the status decides.
        }

        var described = $"{(int)status} {code ?? status.ToString()}" + (message is null ? string.Empty : ": " + message) + (reason is null ? string.Empty : $" ({reason})");
        var outcome = (int)status switch
        {
            408 or 429 or >= 500 => OutboxHttpOutcome.Transient,
            404 when doneResource is not null && string.Equals(resource, doneResource, StringComparison.Ordinal) => OutboxHttpOutcome.NothingToDo,
            _ => OutboxHttpOutcome.Permanent,
        };
        return new OutboxHttpAnswer(outcome, status, code, reason, described, RetryAfter(response, time));
    }

    /// <summary>The send result for an answer that is not a success, with <paramref name="onFailed"/> recording a permanent failure on the object.</summary>
    public static OutboxSendResult ToResult(OutboxHttpAnswer answer, Func<string, Func<Data.RegistryDbContext, CancellationToken, Task>?>? onFailed = null) => answer.Outcome switch
    {
        OutboxHttpOutcome.Success or OutboxHttpOutcome.NothingToDo => OutboxSendResult.Done(),
        OutboxHttpOutcome.Transient => OutboxSendResult.Retry(answer.Error, answer.RetryAfter),
        _ => OutboxSendResult.Failed(answer.Error, onFailed?.Invoke(answer.Error)),
    };

    private static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        if (response.Headers.RetryAfter is not { } retryAfter)
        {
            return null;
        }

        if (retryAfter.Delta is { } delta)
        {
            return delta;
        }

        return retryAfter.Date is { } date ? date - time.GetUtcNow() : null;
    }

    private static string? StringOf(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
