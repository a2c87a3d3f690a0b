using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Client.Identity;
using Nno.Core.Services;
using Nno.Iam.Passwords;
using Nno.Iam.Sessions;
using Nno.Iam.Users;
using Nno.ServiceDefaults.Bindings;

namespace Nno.Iam.Tests.Support;

/// <summary>A key created for a test.</summary>
public sealed record TestKey(string Id, string Key);

/// <summary>API-key, password and JSON helpers for the API-key, device, bootstrap, users and audit tests.</summary>
internal static class IamHostKeys
{
    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public static string? ErrorCode(this JsonElement body) => body.GetProperty("error").GetProperty("code").GetString();

    public static string? Reason(this JsonElement body) =>
        body.GetProperty("error").GetProperty("details") is { ValueKind: JsonValueKind.Object } d && d.TryGetProperty("reason", out var r) ? r.GetString() : null;

    /// <summary>The gateway's verify call for <paramref name="key"/>.</summary>
    public static async Task<JsonElement> VerifyKeyAsync(this IamHost iam, string key, string clientIp = "127.0.0.1")
    {
        using var client = iam.As(GatewayIdentity.GatewaySelf() with { ClientIp = clientIp });
        using var response = await client.PostAsJsonAsync("/api/nno/apikey/verify", new { key });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    /// <summary>A client that authenticates with an API key like the gateway: verify, then forward the key principal.</summary>
    public static HttpClient ApiKey(this IamHost iam, string key)
    {
        var handler = new ApiKeyHandler(iam, key) { InnerHandler = iam.Platform.Host.Directory.CreateHandler(NnoServices.Iam) };
        return new HttpClient(handler) { BaseAddress = ServiceBindingRegistration.InProcessAddress(NnoServices.Iam) };
    }

    /// <summary>Creates a key through the API with <paramref name="owner"/>'s session.</summary>
    public static async Task<TestKey> CreateKeyAsync(this IamHost iam, TestUser owner, string? platformId, params string[] scopes)
    {
        using var client = iam.Session(owner.Token);
        using var response = await client.PostAsJsonAsync("/api/nno/apikey", new { name = "test key", platformId, scopes = scopes.Length == 0 ? ["platforms:read"] : scopes });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.JsonAsync();
        return new TestKey(body.GetProperty("id").GetString()!, body.GetProperty("key").GetString()!);
    }

    /// <summary>Gives the user a credential account with <paramref name="password"/> (test setup).</summary>
    public static Task SetPasswordAsync(this IamHost iam, string userId, string password) => iam.DbAsync(async db =>
    {
        var hashing = iam.Platform.Host.Apps[NnoServices.Iam].Services.GetRequiredService<PasswordHashing>();
        var hash = await hashing.HashAsync(password, CancellationToken.None);
        var now = iam.Time.GetUtcNow().ToUnixTimeMilliseconds();
        db.Accounts.Add(new AccountRecord { Id = IamIds.New("acc"), UserId = userId, ProviderId = "credential", AccountId = userId, PasswordHash = hash, CreatedAt = now, UpdatedAt = now });
        await db.SaveChangesAsync();
    });

    /// <summary>A new live browser session for an existing user; returns its token.</summary>
    public static async Task<string> NewSessionAsync(this IamHost iam, string userId, bool mfaVerified = false)
    {
        await using var scope = iam.Platform.Host.Apps[NnoServices.Iam].Services.CreateAsyncScope();
        var issued = await scope.ServiceProvider.GetRequiredService<SessionStore>()
            .CreateAsync(userId, new NewSession { AuthMethod = AuthMethods.Password, MfaVerified = mfaVerified }, CancellationToken.None);
        await scope.ServiceProvider.GetRequiredService<Nno.Iam.Data.IamDbContext>().SaveChangesAsync();
        return issued.Token;
    }

    /// <summary>The event types recorded for <paramref name="subjectUserId"/>.</summary>
    public static Task<List<string>> EventTypesAsync(this IamHost iam, string subjectUserId) =>
        iam.DbAsync(db => db.AuditEvents.Where(e => e.SubjectUserId == subjectUserId).Select(e => e.Type).ToListAsync());

    private sealed class ApiKeyHandler(IamHost iam, string key) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var verified = await iam.VerifyKeyAsync(key);
            if (!verified.GetProperty("valid").GetBoolean())
            {
                return new HttpResponseMessage(HttpStatusCode.Unauthorized) { RequestMessage = request };
            }

            var platformId = verified.GetProperty("platformId").GetString();
            var platformRole = verified.GetProperty("platformRole").GetString();
            var identity = GatewayIdentity.ApiKey(
                verified.GetProperty("userId").GetString()!,
                verified.GetProperty("keyId").GetString()!,
                [.. verified.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()!)],
                verified.GetProperty("role").GetString()!,
                string.IsNullOrEmpty(platformId) ? null : platformId,
                string.IsNullOrEmpty(platformRole) ? null : platformRole);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await iam.TokenOfAsync(NnoServices.Gateway));
            GatewayIdentityHeaders.Apply(request.Headers, identity);
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
