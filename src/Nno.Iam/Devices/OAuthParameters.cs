using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace Nno.Iam.Devices;

/// <summary>
/// The parameters of an RFC 8628 request, from <c>application/x-www-form-urlencoded</c> or a JSON object (iam.md §3.6).
/// Unrecognised parameters are ignored, as OAuth requires; a repeated or non-string parameter is an
/// <c>invalid_request</c>.
/// </summary>
internal sealed class OAuthParameters
{
    private readonly Dictionary<string, string> _values;

    private OAuthParameters(Dictionary<string, string> values) => _values = values;

    /// <summary>The parameter, or null when absent or empty (RFC 6749 §3.1: empty = omitted).</summary>
    public string? this[string name] => _values.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    /// <summary>Reads the body; an unreadable one is an <see cref="OAuthException"/> with <c>invalid_request</c>.</summary>
    public static async Task<OAuthParameters> ReadAsync(HttpRequest request, IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        var mediaType = request.ContentType?.Split(';')[0].Trim() ?? "";
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (mediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            var form = await request.ReadFormAsync(cancellationToken);
            foreach (var name in names)
            {
                if (form.TryGetValue(name, out var value))
                {
                    values[name] = value.Count == 1 ? value[0] ?? "" : throw new OAuthException(OAuthErrors.InvalidRequest, $"The parameter {name} is repeated.");
                }
            }
        }
        else if (mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            JsonDocument document;
            try
            {
                document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
            }
            catch (JsonException)
            {
                throw new OAuthException(OAuthErrors.InvalidRequest, "The body is not valid JSON.");
            }

            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new OAuthException(OAuthErrors.InvalidRequest, "The body must be a JSON object.");
                }

                foreach (var name in names)
                {
                    if (document.RootElement.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
                    {
                        values[name] = value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new OAuthException(OAuthErrors.InvalidRequest, $"The parameter {name} must be a string.");
                    }
                }
            }
        }
        else
        {
            throw new OAuthException(OAuthErrors.InvalidRequest, "Send the parameters as application/x-www-form-urlencoded or application/json.");
        }

        return new OAuthParameters(values);
    }
}

/// <summary>The error codes of RFC 6749 §5.2 and RFC 8628 §3.5.</summary>
internal static class OAuthErrors
{
    public const string InvalidRequest = "invalid_request";
    public const string InvalidClient = "invalid_client";
    public const string InvalidGrant = "invalid_grant";
    public const string UnsupportedGrantType = "unsupported_grant_type";
    public const string AuthorizationPending = "authorization_pending";
    public const string SlowDown = "slow_down";
    public const string AccessDenied = "access_denied";
    public const string ExpiredToken = "expired_token";
}

/// <summary>An RFC 6749 §5.2 error: answered 400 with <c>{error, error_description}</c> and <c>Cache-Control: no-store</c>.</summary>
internal sealed class OAuthException(string error, string description) : Exception(description)
{
    public string Error { get; } = error;
}

/// <summary>The RFC 6749 §5.2 error body (the one deliberate exception to the envelope).</summary>
internal sealed record OAuthErrorBody(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description")] string ErrorDescription);
