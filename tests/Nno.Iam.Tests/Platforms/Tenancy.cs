using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Core.Ids;
using Nno.Core.Services;
using Nno.Iam.Organizations;
using Nno.Iam.Tests.Support;
using Nno.ServiceDefaults.Evictions;

namespace Nno.Iam.Tests.Platforms;

/// <summary>One IAM host shared by the tests of a class (each test uses its own platforms, users and organizations).</summary>
public sealed class IamFixture : IAsyncLifetime
{
    public IamHost Iam { get; private set; } = null!;

    public async Task InitializeAsync() => Iam = await IamHost.StartAsync();

    public async Task DisposeAsync() => await Iam.DisposeAsync();
}

/// <summary>Setup and assertion helpers for the platform, organization, invitation and permission tests.</summary>
internal static partial class Tenancy
{
    public static string NewPlatformId() => new(RandomNumberGenerator.GetItems<char>(IdFormat.Alphabet, IdFormat.Length));

    public static string NewSlug(string prefix = "org") => prefix + "-" + Guid.NewGuid().ToString("N")[..12];

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    /// <summary>Asserts the envelope: status, code and (for object 404s) <c>details.resource</c>.</summary>
    public static async Task<JsonElement> AssertErrorAsync(this HttpResponseMessage response, HttpStatusCode status, string code, string? resource = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error").Clone();
        Assert.Equal(code, error.GetProperty("code").GetString());
        if (resource is not null)
        {
            Assert.Equal(resource, error.GetProperty("details").GetProperty("resource").GetString());
        }

        return error;
    }

    public static async Task<JsonElement> AssertStatusAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The fields named by a 400.</summary>
    public static IReadOnlyList<string> Fields(this JsonElement error) =>
        [.. error.GetProperty("details").GetProperty("fields").EnumerateObject().Select(p => p.Name)];

    /// <summary>A user with a platform membership (written directly, as the Registry's PUT would).</summary>
    public static async Task<TestUser> PlatformUserAsync(this IamHost iam, string platformId, string role, string? email = null, bool emailVerified = true)
    {
        var user = await iam.CreateUserAsync(email, emailVerified: emailVerified);
        await iam.AddPlatformMemberAsync(platformId, user.Id, role);
        return user;
    }

    /// <summary>Creates an organization through the Registry's token, as the Registry does.</summary>
    public static async Task<string> CreateOrganizationAsync(this IamHost iam, string platformId, string ownerId, string? slug = null, string? parentId = null)
    {
        using var registry = iam.Service(NnoServices.Registry);
        using var response = await registry.PostAsJsonAsync("/api/nno/organizations", new { platformId, name = "Org " + (slug ?? "x"), slug = slug ?? NewSlug(), ownerId, parentId });
        var body = await response.AssertStatusAsync(HttpStatusCode.Created);
        return body.GetProperty("id").GetString()!;
    }

    /// <summary>Writes a tenant membership directly: test setup only.</summary>
    public static Task AddTenantMemberAsync(this IamHost iam, string organizationId, string userId, string role) => iam.DbAsync(async db =>
    {
        var now = iam.Time.GetUtcNow().ToUnixTimeMilliseconds();
        db.Members.Add(new MemberRecord { Id = IamIds.New("mem"), OrganizationId = organizationId, UserId = userId, Role = role, CreatedAt = now, UpdatedAt = now });
        await db.SaveChangesAsync();
    });

    /// <summary>The link token of the newest invitation email queued for <paramref name="email"/>, read from the outbox or, once delivered, the dev mailbox.</summary>
    public static async Task<(string Link, string Token)> InvitationLinkAsync(this IamHost iam, string email)
    {
        var body = (await iam.MailTextsAsync(q => q.Where(m => m.ToAddress == email && m.Template == "invitation").OrderByDescending(m => m.CreatedAt))).First();
        var match = LinkPattern().Match(body!);
        Assert.True(match.Success, "No console link in: " + body);
        return (match.Value, match.Groups["token"].Value);
    }

    /// <summary>A live API key of <paramref name="userId"/> (row written directly) and a client calling as that key through the gateway.</summary>
    public static async Task<HttpClient> ApiKeyClientAsync(this IamHost iam, string userId, string? platformId = null, string? platformRole = null)
    {
        var keyId = IamIds.New("key");
        await iam.DbAsync(async db =>
        {
            var now = iam.Time.GetUtcNow().ToUnixTimeMilliseconds();
            db.ApiKeys.Add(new Nno.Iam.ApiKeys.ApiKeyRecord
            {
                Id = keyId, UserId = userId, PlatformId = platformId, Name = "test", DisplayPrefix = "nno_local_test", KeyHash = RandomNumberGenerator.GetBytes(32),
                Scopes = "[\"iam:write\"]", ExpiresAt = now + 86_400_000, CreatedAt = now,
            });
            await db.SaveChangesAsync();
        });
        return iam.As(Nno.Client.Identity.GatewayIdentity.ApiKey(userId, keyId, ["iam:write"], platformId: platformId, platformRole: platformRole));
    }

    /// <summary>Records what IAM publishes on the gateway's eviction channel.</summary>
    public static EvictionRecorder RecordEvictions(this IamHost iam) =>
        new(iam.Platform.Host.Apps[NnoServices.Iam].Services.GetRequiredService<ICredentialEvictionChannel>());

    [GeneratedRegex(@"http://localhost:5174/auth/magic-link\?token=(?<token>[A-Za-z0-9_-]{43})")]
    private static partial Regex LinkPattern();
}

/// <summary>Collects evictions published on the channel until disposed.</summary>
internal sealed class EvictionRecorder : IDisposable
{
    private readonly List<CredentialEviction> _seen = [];
    private readonly IDisposable _subscription;

    public EvictionRecorder(ICredentialEvictionChannel channel) => _subscription = channel.Subscribe(list =>
    {
        lock (_seen)
        {
            _seen.AddRange(list);
        }
    });

    public IReadOnlyList<CredentialEviction> Seen
    {
        get
        {
            lock (_seen)
            {
                return [.. _seen];
            }
        }
    }

    public void Dispose() => _subscription.Dispose();
}
