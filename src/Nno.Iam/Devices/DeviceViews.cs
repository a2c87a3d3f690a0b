using System.Text.Json.Serialization;

namespace Nno.Iam.Devices;

/// <summary>RFC 8628 §3.2 device authorization response.</summary>
internal sealed record DeviceCodeResponse(
    [property: JsonPropertyName("device_code")] string DeviceCode,
    [property: JsonPropertyName("user_code")] string UserCode,
    [property: JsonPropertyName("verification_uri")] string VerificationUri,
    [property: JsonPropertyName("verification_uri_complete")] string VerificationUriComplete,
    [property: JsonPropertyName("expires_in")] int ExpiresIn,
    [property: JsonPropertyName("interval")] int Interval);

/// <summary>RFC 6749 §5.1 access token response; the token is a new <c>device</c> session.</summary>
internal sealed record DeviceTokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_in")] long ExpiresIn,
    [property: JsonPropertyName("refresh_token")] string? RefreshToken,
    [property: JsonPropertyName("scope")] string? Scope);

/// <summary>What the console shows before the user approves (<c>GET /api/oauth/device</c>).</summary>
internal sealed record DeviceAuthorizationView(
    string UserCode,
    string ClientId,
    string? Scope,
    string Status,
    DateTimeOffset RequestedAt,
    DateTimeOffset ExpiresAt,
    string RequesterIp,
    string RequesterUserAgent)
{
    public static DeviceAuthorizationView From(DeviceCodeRecord code)
    {
        ArgumentNullException.ThrowIfNull(code);
        return new DeviceAuthorizationView(
            UserCodes.Display(code.UserCode),
            code.ClientId,
            code.Scope,
            code.Status,
            DateTimeOffset.FromUnixTimeMilliseconds(code.CreatedAt),
            DateTimeOffset.FromUnixTimeMilliseconds(code.ExpiresAt),
            code.RequesterIp,
            code.RequesterUserAgent);
    }
}

/// <summary><c>POST /api/oauth/device/approve</c> and <c>/deny</c> body.</summary>
internal sealed record DeviceDecisionRequest(string UserCode, string? Password = null);

/// <summary>The decision taken.</summary>
internal sealed record DeviceDecisionResponse(string Status);

/// <summary><c>device_codes.status</c> values.</summary>
internal static class DeviceStatuses
{
    public const string Pending = "pending";
    public const string Approved = "approved";
    public const string Denied = "denied";
    public const string Consumed = "consumed";
    public const string Expired = "expired";
}
