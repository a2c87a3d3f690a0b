using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Nno.ServiceDefaults.Evictions;
using Nno.ServiceDefaults.Security;

namespace Nno.Gateway.Tests.Support;

/// <summary>A session the test IAM knows, as its enriched-session answer (iam.md §3.3) describes it.</summary>
public sealed record TestSession(
    string UserId,
    string SessionId,
    DateTimeOffset ExpiresAt,
    string Role = "user",
    string? ActivePlatformId = null,
    IReadOnlyDictionary<string, string>? Platforms = null);

/// <summary>An API key the test IAM knows, as its verify answer (iam.md §3.3) describes it.</summary>
public sealed record TestApiKey(
    string KeyId,
    string UserId,
    IReadOnlyList<string> Scopes,
    string Role = "user",
    string? PlatformId = null,
    string? PlatformRole = null,
    DateTimeOffset? ExpiresAt = null);

/// <summary>How the test IAM answers the gateway's validation calls.</summary>
public enum TestIamMode
{
    Normal,

    /// <summary>500 with an envelope.</summary>
    ServerError,

    /// <summary>The connection is aborted (IAM unreachable).</summary>
    Unreachable,

    /// <summary>No answer until the caller gives up (the gateway's 5 s timeout on the fake clock).</summary>
    Hang,
}

/// <summary>
/// Stands in front of IAM's pipeline in gateway tests: answers the gateway's two validation routes
/// (<c>GET /api/nno/session</c> with <c>X-Nno-Session-Token</c>, <c>POST /api/nno/apikey/verify</c>) with canned
/// principals, answers <c>POST /api/auth/sign-out</c> like IAM (revokes the session, <c>X-Nno-Cache-Evict</c>), counts
/// and records every validation call, and can simulate outages. IAM's real service-token and JWKS endpoints pass
/// through (they can be made to fail with <see cref="TokenEndpointDown"/>).
/// </summary>
public sealed class TestIam
{
    private readonly ConcurrentDictionary<string, TestSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TestApiKey> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<IReadOnlyDictionary<string, string>> _validationCalls = new();
    private int _sessionCalls;
    private int _verifyCalls;
    private int _tokenCalls;

    public volatile TestIamMode Mode;

    /// <summary>When set, IAM's service-token endpoint answers 503 (the real one is not reached).</summary>
    public volatile bool TokenEndpointDown;

    /// <summary>When set, validation answers wait for it (to hold a call in flight); <see cref="HangArrived"/> signals the first arrival.</summary>
    public volatile TaskCompletionSource? Gate;

    /// <summary>Completed when a hanging validation call has arrived (for tests that then move the clock).</summary>
    public TaskCompletionSource HangArrived { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Released to let hanging validation calls fail like a dropped connection.</summary>
    public CancellationTokenSource HangRelease { get; private set; } = new();

    public int SessionCalls => Volatile.Read(ref _sessionCalls);

    public int VerifyCalls => Volatile.Read(ref _verifyCalls);

    /// <summary>Requests that reached IAM's real service-token endpoint (or were refused while it was down).</summary>
    public int TokenCalls => Volatile.Read(ref _tokenCalls);

    /// <summary>Headers of every validation call (session and verify) received.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> ValidationCalls => _validationCalls.ToArray();

    public void AddSession(string token, TestSession session) => _sessions[token] = session;

    public void AddApiKey(string key, TestApiKey apiKey) => _keys[key] = apiKey;

    /// <summary>Revokes out of band: no eviction is published.</summary>
    public void Revoke(string tokenOrKey)
    {
        _sessions.TryRemove(tokenOrKey, out _);
        _keys.TryRemove(tokenOrKey, out _);
    }

    /// <summary>Changes what IAM answers for a user's sessions (role, memberships, active platform).</summary>
    public void UpdateUserSessions(string userId, Func<TestSession, TestSession> update)
    {
        foreach (var (token, session) in _sessions)
        {
            if (session.UserId == userId)
            {
                _sessions[token] = update(session);
            }
        }
    }

    /// <summary>Resets the hang signals (after a hang test).</summary>
    public void ResetHang()
    {
        HangRelease.Cancel();
        HangArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        HangRelease = new();
    }

    /// <summary>True for requests IAM's real pipeline must answer (service tokens, keys).</summary>
    public static bool IsPassThrough(HttpContext context) =>
        context.Request.Path.StartsWithSegments(ServiceTokenProtocol.IssuePath, StringComparison.Ordinal)
        || context.Request.Path.StartsWithSegments(ServiceTokenProtocol.JwksPath, StringComparison.Ordinal);

    /// <summary>Installs the test IAM in front of IAM's pipeline.</summary>
    public void Install(WebApplication app) => app.Use(async (HttpContext context, RequestDelegate next) =>
    {
        var request = context.Request;
        var path = request.Path.Value;
        if (HttpMethods.IsGet(request.Method) && path == "/api/nno/session" && request.Headers.TryGetValue("X-Nno-Session-Token", out var sessionToken))
        {
            Interlocked.Increment(ref _sessionCalls);
            await AnswerAsync(context, () => SessionAnswer(sessionToken.ToString()));
            return;
        }

        if (HttpMethods.IsPost(request.Method) && path == "/api/nno/apikey/verify")
        {
            Interlocked.Increment(ref _verifyCalls);
            using var body = await JsonDocument.ParseAsync(request.Body);
            var key = body.RootElement.GetProperty("key").GetString() ?? "";
            await AnswerAsync(context, () => VerifyAnswer(key));
            return;
        }

        if (HttpMethods.IsPost(request.Method) && path == "/api/auth/sign-out" && request.Headers["X-Nno-Auth"] == "session")
        {
            var sessionId = request.Headers["X-Nno-Session-Id"].ToString();
            foreach (var (token, session) in _sessions)
            {
                if (session.SessionId == sessionId)
                {
                    _sessions.TryRemove(token, out _);
                }
            }

            context.Response.Headers[CredentialEviction.HeaderName] = CredentialEviction.Session(sessionId).ToString();
            await context.Response.WriteAsJsonAsync(new { success = true });
            return;
        }

        if (HttpMethods.IsPost(request.Method) && path == ServiceTokenProtocol.IssuePath)
        {
            Interlocked.Increment(ref _tokenCalls);
            if (TokenEndpointDown)
            {
                context.Response.StatusCode = 503;
                await context.Response.WriteAsJsonAsync(new { error = new { code = "SERVICE_UNAVAILABLE", message = "down", details = (object?)null, requestId = "iam-down" } });
                return;
            }
        }

        await next(context);
    });

    private async Task AnswerAsync(HttpContext context, Func<(int Status, object? Body)> answer)
    {
        _validationCalls.Enqueue(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));
        if (Gate is { } gate)
        {
            HangArrived.TrySetResult();
            await gate.Task;
        }

        switch (Mode)
        {
            case TestIamMode.ServerError:
                context.Response.StatusCode = 500;
                await context.Response.WriteAsJsonAsync(new { error = new { code = "INTERNAL_ERROR", message = "boom", details = (object?)null, requestId = "iam-1" } });
                return;
            case TestIamMode.Unreachable:
                context.Abort();
                return;
            case TestIamMode.Hang:
                HangArrived.TrySetResult();
                using (var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, HangRelease.Token))
                {
                    try
                    {
                        await Task.Delay(Timeout.Infinite, linked.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        context.Abort();
                    }
                }

                return;
        }

        var (status, body) = answer();
        context.Response.StatusCode = status;
        if (body is not null)
        {
            await context.Response.WriteAsJsonAsync(body);
        }
    }

    private (int, object?) SessionAnswer(string token)
    {
        if (!_sessions.TryGetValue(token, out var s))
        {
            return (401, new { error = new { code = "UNAUTHORIZED", message = "invalid session", details = (object?)null, requestId = "iam-2" } });
        }

        var platforms = (s.Platforms ?? new Dictionary<string, string>()).Select(p => new { platformId = p.Key, role = p.Value }).ToArray();
        return (200, new
        {
            user = new { id = s.UserId, email = s.UserId + "@example.com", name = "Test", role = s.Role, emailVerified = true },
            session = new { id = s.SessionId, userId = s.UserId, expiresAt = s.ExpiresAt, activePlatformId = s.ActivePlatformId, authMethod = "password", mfaVerified = false },
            apiKey = (object?)null,
            role = s.Role,
            mfaRequired = false,
            platformId = s.ActivePlatformId,
            platformRole = s.ActivePlatformId is { } active && s.Platforms is not null && s.Platforms.TryGetValue(active, out var r) ? r : null,
            platforms,
            organization = (object?)null,
            permissions = Array.Empty<string>(),
        });
    }

    private (int, object?) VerifyAnswer(string key) =>
        _keys.TryGetValue(key, out var k)
            ? (200, new { valid = true, keyId = k.KeyId, userId = k.UserId, role = k.Role, platformId = k.PlatformId, platformRole = k.PlatformRole, scopes = k.Scopes, expiresAt = k.ExpiresAt })
            : (200, new { valid = false, reason = "unknown" });
}
