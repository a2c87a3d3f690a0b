using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Client.Identity;
using Nno.Core.Errors;
using Nno.Core.Services;
using H = Nno.Core.Identity.NnoIdentityHeaders;

namespace Nno.Gateway.Authentication;

/// <summary>What IAM said about a credential.</summary>
internal enum CredentialStatus
{
    /// <summary>A live credential; <see cref="CredentialLookup.Principal"/> is set.</summary>
    Valid,

    /// <summary>IAM rejected it (session 401, API key <c>valid:false</c>): cached negative, answered 401.</summary>
    Invalid,

    /// <summary>IAM unreachable, 5xx, timeout or an unusable answer: 503, nothing cached (never fail open).</summary>
    Unavailable,
}

/// <summary>The outcome of one IAM call.</summary>
internal sealed record CredentialLookup(CredentialStatus Status, ResolvedPrincipal? Principal = null)
{
    public static CredentialLookup Invalid { get; } = new(CredentialStatus.Invalid);

    public static CredentialLookup Unavailable { get; } = new(CredentialStatus.Unavailable);
}

/// <summary>
/// The gateway's own IAM calls (gateway.md §4.3, §4.9): <c>GET /api/nno/session</c> with <c>X-Nno-Session-Token</c>
/// and <c>POST /api/nno/apikey/verify</c>, through the IAM binding with the gateway's service token,
/// <c>X-Nno-Auth: service</c> and <c>X-Nno-User-Id: svc:gateway</c> and no other identity header, limited to
/// <see cref="GatewayAuthOptions.IamCallTimeout"/> on the platform clock.
/// </summary>
internal sealed partial class IamCredentialClient(
    IHttpClientFactory httpClients,
    TimeProvider time,
    IOptions<GatewayAuthOptions> options,
    ILogger<IamCredentialClient> logger)
{
    public const string SessionPath = "api/nno/session";
    public const string ApiKeyVerifyPath = "api/nno/apikey/verify";
    public const string SessionTokenHeader = "X-Nno-Session-Token";

    // IAM's answers are read leniently (unknown fields ignored): the gateway needs only a few of their fields.
    private static readonly JsonSerializerOptions ReadOptions = new(JsonSerializerDefaults.Web);
    private static readonly IReadOnlyList<KeyValuePair<string, string>> SelfHeaders = GatewayIdentityHeaders.For(GatewayIdentity.GatewaySelf());

    public Task<CredentialLookup> ValidateSessionAsync(string token) =>
        CallAsync("session", () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, SessionPath);
            request.Headers.TryAddWithoutValidation(SessionTokenHeader, token);
            return request;
        }, ReadSessionAsync);

    public Task<CredentialLookup> VerifyApiKeyAsync(string key) =>
        CallAsync("apikey", () => new HttpRequestMessage(HttpMethod.Post, ApiKeyVerifyPath)
        {
            Content = JsonContent.Create(new ApiKeyVerifyRequest(key), options: ReadOptions),
        }, ReadApiKeyAsync);

    private async Task<CredentialLookup> CallAsync(
        string kind,
        Func<HttpRequestMessage> create,
        Func<HttpResponseMessage, CancellationToken, Task<CredentialLookup>> read)
    {
        // The call is shared by every request waiting on this credential (single flight), so no one client's
        // disconnect cancels it; only the timeout does, on the platform clock.
        using var timeout = new CancellationTokenSource(options.Value.IamCallTimeout, time);
        try
        {
            using var request = create();
            foreach (var (name, value) in SelfHeaders)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            var client = httpClients.CreateClient(NnoServices.IamInfo.BindingName);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return await read(response, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            LogIamFailure(logger, kind, "timeout after " + options.Value.IamCallTimeout.TotalSeconds + " s");
            return CredentialLookup.Unavailable;
        }
        catch (Exception ex) when (ex is HttpRequestException or ApiException or JsonException or IOException)
        {
            // ApiException: the gateway has no service token to call IAM with.
            LogIamFailure(logger, kind, ex.GetType().Name + ": " + ex.Message);
            return CredentialLookup.Unavailable;
        }
    }

    private async Task<CredentialLookup> ReadSessionAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            return CredentialLookup.Invalid;
        }

        if (response.StatusCode != HttpStatusCode.OK)
        {
            LogIamFailure(logger, "session", "IAM answered " + (int)response.StatusCode);
            return CredentialLookup.Unavailable;
        }

        var body = await response.Content.ReadFromJsonAsync<SessionAnswer>(ReadOptions, cancellationToken);
        if (body?.User?.Id is not { Length: > 0 } userId || body.Session?.Id is not { Length: > 0 } sessionId || body.Role is not { Length: > 0 } role)
        {
            LogIamFailure(logger, "session", "IAM's session answer lacks user.id, session.id or role");
            return CredentialLookup.Unavailable;
        }

        var platforms = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var membership in body.Platforms ?? [])
        {
            if (membership.PlatformId is { Length: > 0 } pid && membership.Role is { Length: > 0 } platformRole)
            {
                platforms[pid] = platformRole;
            }
        }

        var identity = GatewayIdentity.Session(userId, sessionId, role, platforms, body.PlatformId, clientIp: null) with
        {
            // IAM's answer names the role on the active platform; it wins over the membership list.
            PlatformRole = body.PlatformId is null ? null : body.PlatformRole ?? platforms.GetValueOrDefault(body.PlatformId),
        };
        return Resolve("session", identity, body.Session.ExpiresAt);
    }

    private async Task<CredentialLookup> ReadApiKeyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            return CredentialLookup.Invalid;
        }

        if (response.StatusCode != HttpStatusCode.OK)
        {
            LogIamFailure(logger, "apikey", "IAM answered " + (int)response.StatusCode);
            return CredentialLookup.Unavailable;
        }

        var body = await response.Content.ReadFromJsonAsync<ApiKeyVerifyAnswer>(ReadOptions, cancellationToken);
        if (body is null)
        {
            LogIamFailure(logger, "apikey", "IAM's verify answer is empty");
            return CredentialLookup.Unavailable;
        }

        if (!body.Valid)
        {
            return CredentialLookup.Invalid;
        }

        if (body.KeyId is not { Length: > 0 } keyId || body.UserId is not { Length: > 0 } userId || body.Role is not { Length: > 0 } role)
        {
            LogIamFailure(logger, "apikey", "IAM's verify answer lacks keyId, userId or role");
            return CredentialLookup.Unavailable;
        }

        var identity = GatewayIdentity.ApiKey(userId, keyId, body.Scopes ?? [], role,
            body.PlatformId is { Length: > 0 } ? body.PlatformId : null,
            body.PlatformRole is { Length: > 0 } ? body.PlatformRole : null,
            clientIp: null);
        return Resolve("apikey", identity, body.ExpiresAt);
    }

    private CredentialLookup Resolve(string kind, GatewayIdentity identity, DateTimeOffset? expiresAt)
    {
        if (ResolvedPrincipal.IsReservedUserId(identity.UserId))
        {
            // No client may reach an upstream as the gateway itself or as the static key (gateway.md §7 test 35).
            LogReservedUserId(logger, kind);
            return CredentialLookup.Invalid;
        }

        var principal = ResolvedPrincipal.Create(identity, expiresAt);
        if (principal is null)
        {
            LogIamFailure(logger, kind, "IAM's answer holds a value that cannot be sent as a header");
            return CredentialLookup.Unavailable;
        }

        return new CredentialLookup(CredentialStatus.Valid, principal);
    }

    [LoggerMessage(1830, LogLevel.Warning, "Credential validation ({Kind}) with IAM failed: {Reason}; the request answers 503.")]
    private static partial void LogIamFailure(ILogger logger, string kind, string reason);

    [LoggerMessage(1831, LogLevel.Warning, "IAM resolved a {Kind} credential to a reserved user id; it is rejected.")]
    private static partial void LogReservedUserId(ILogger logger, string kind);

    private sealed record ApiKeyVerifyRequest(string Key);

    private sealed record SessionAnswer(SessionUser? User, SessionInfo? Session, string? Role, string? PlatformId, string? PlatformRole, List<Membership>? Platforms);

    private sealed record SessionUser(string? Id);

    private sealed record SessionInfo(string? Id, DateTimeOffset? ExpiresAt);

    private sealed record Membership(string? PlatformId, string? Role);

    private sealed record ApiKeyVerifyAnswer(bool Valid, string? KeyId, string? UserId, string? Role, string? PlatformId, string? PlatformRole, List<string>? Scopes, DateTimeOffset? ExpiresAt);
}
