using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Nno.Iam.Mail;

/// <summary>
/// The <c>resend</c> provider (iam.md §5): <c>POST {BaseUrl}/emails</c> with the API key as bearer token and the outbox
/// id as <c>Idempotency-Key</c>, so Resend delivers a retried email once. 2xx → sent; 429 → retry after
/// <c>Retry-After</c>; 409 (a concurrent request with the same key) → retry; other 4xx → failed; 5xx, timeouts and
/// connection failures → retry.
/// </summary>
internal sealed class ResendEmailSender(HttpClient http, IOptions<EmailOptions> options, Microsoft.Extensions.Configuration.IConfiguration configuration, TimeProvider time) : IEmailSender
{
    /// <summary>The body of <c>POST /emails</c>.</summary>
    internal sealed record ResendEmail(string From, IReadOnlyList<string> To, string Subject, string Html, string Text);

    public async Task<EmailSendResult> SendAsync(OutgoingEmail email, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(email);
        using var request = new HttpRequestMessage(HttpMethod.Post, "emails")
        {
            Content = JsonContent.Create(new ResendEmail(options.Value.From!, [email.To], email.Subject, email.Html, email.Text), options: JsonOptions),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", configuration[EmailOptions.ResendApiKeyKey]);
        request.Headers.Add("Idempotency-Key", email.Id);

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            return EmailSendResult.Retry("resend: connection failed (" + (ex.HttpRequestError.ToString()) + ")");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient.Timeout elapsed (the caller did not cancel).
            return EmailSendResult.Retry("resend: timed out after " + http.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s");
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return EmailSendResult.Sent;
            }

            var error = $"resend: HTTP {status} {await ErrorNameAsync(response, cancellationToken)}".TrimEnd();
            return status switch
            {
                (int)HttpStatusCode.TooManyRequests => EmailSendResult.Retry(error, RetryAfter(response)),
                (int)HttpStatusCode.Conflict => EmailSendResult.Retry(error),
                >= 400 and < 500 => EmailSendResult.Failed(error),
                _ => EmailSendResult.Retry(error),
            };
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    /// <summary>Resend's error <c>name</c> (e.g. <c>validation_error</c>): a code, never the email's content.</summary>
    private static async Task<string> ErrorNameAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
                ? new string(name.GetString()!.Where(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-').Take(64).ToArray())
                : string.Empty;
        }
        catch (JsonException)
        {
            return string.Empty;
        }
    }
}
