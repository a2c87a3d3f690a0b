using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Nno.Core.Ids;
using Nno.Core.Services;
using Nno.Gateway.Tests.Support;
using Nno.Testing;
using Nno.Testing.Security;

namespace Nno.Gateway.Tests.Flows;

/// <summary>A link read from the dev mailbox: the console URL the email carries and the token in it.</summary>
public sealed record MailLink(string Url, string Token, string Subject);

/// <summary>A user signed up through the gateway, with the session token sign-up returned.</summary>
public sealed record FlowUser(string Id, string Email, string Token);

/// <summary>
/// The real IAM behind the real gateway (iam.md §7: "the session, API-key, invitation and device flows run through the
/// gateway"), plus Billing's slot answered by <see cref="UpstreamRecorder"/> so the identity the gateway forwards can be
/// observed. Everything a user does goes through <see cref="Gateway"/> on the public <c>/api/v1/iam/…</c> paths; only
/// what other services do (the Registry writing memberships and organizations) goes to IAM directly with their real
/// tokens. Logs of every application are captured at the levels a deployment uses (see <see cref="StartAsync"/>).
/// </summary>
public sealed partial class FlowPlatform : IAsyncDisposable
{
    /// <summary>The static service key (<c>AUTH_API_KEY</c>).</summary>
    public const string StaticKey = "flows-static-key-7c1f0e9a2b4d6f8a0c2e4f6a8b0d2f4a";

    /// <summary>A password that passes the policy (iam.md §4.4).</summary>
    public const string Password = "vq8#Lm2!xR7pT4wz9Kd0";

    /// <summary>The upstream whose requests are recorded (any authenticated path under <c>/api/v1/billing</c>).</summary>
    public const string ObservedUpstream = NnoServices.Billing;

    private readonly HashSet<string> _readMail = new(StringComparer.Ordinal);

    private FlowPlatform(TestPlatform platform, UpstreamRecorder recorder, LogSink logs)
    {
        Platform = platform;
        Recorder = recorder;
        Logs = logs;
        Gateway = platform.Client(NnoServices.Gateway);
    }

    public TestPlatform Platform { get; }

    public UpstreamRecorder Recorder { get; }

    /// <summary>Every log entry of IAM, the gateway and the observed upstream.</summary>
    public LogSink Logs { get; }

    /// <summary>The gateway's pipeline in memory; requests carry only the credential a test gives them.</summary>
    public HttpClient Gateway { get; }

    /// <summary>
    /// Starts IAM, the gateway and the recorded upstream on a fresh directory. Logging is left at the defaults of
    /// <c>Nno.ServiceDefaults</c> (what a deployment runs with: <c>Default</c> Information, framework categories Warning);
    /// only <see cref="TestPlatform"/>'s quieter <c>Default</c> is put back and NNO's own categories are opened to Trace,
    /// so a scan of <see cref="Logs"/> sees every line production would write and more of NNO's own.
    /// </summary>
    /// <param name="extraSettings">Configuration on top of the flow settings (log levels of a scan, for example).</param>
    /// <param name="extraServices">Real services to run besides IAM, the gateway and the recorded upstream (the Registry, say).</param>
    /// <param name="time">The shared clock (a Sandbox started first reads the same one); a new fake clock when null.</param>
    public static async Task<FlowPlatform> StartAsync(IDictionary<string, string?>? extraSettings = null, IReadOnlyCollection<string>? extraServices = null, Microsoft.Extensions.Time.Testing.FakeTimeProvider? time = null)
    {
        var recorder = new UpstreamRecorder();
        var logs = new LogSink();
        var settings = new Dictionary<string, string?>
        {
            ["Nno:Environment"] = "local",
            ["Iam:Passwords:Iterations"] = "1000",
            ["AUTH_API_KEY"] = StaticKey,
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:LogLevel:Nno"] = "Trace",
        };
        foreach (var (key, value) in extraSettings ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var platform = await TestPlatform.StartAsync(
            [NnoServices.Iam, ObservedUpstream, NnoServices.Gateway, .. extraServices ?? []],
            settings,
            configureBuilder: (name, builder) =>
            {
                // The capturing provider replaces the console and gets no filter of its own: it sees exactly what the
                // console of a deployment would print.
                builder.Logging.ClearProviders();
                builder.Logging.AddProvider(logs.CreateProvider(name));
            },
            configurePipeline: (name, app) =>
            {
                if (name == ObservedUpstream)
                {
                    recorder.Install(name, app);
                }
            },
            time: time);
        return new FlowPlatform(platform, recorder, logs);
    }

    /// <summary>A new 10-character platform id (the Registry issues these).</summary>
    public static string NewPlatformId() => new(RandomNumberGenerator.GetItems<char>(IdFormat.Alphabet, IdFormat.Length));

    public static string NewEmail(string prefix = "user") => prefix + "-" + Guid.NewGuid().ToString("N")[..12] + "@example.com";

    /// <summary>Sends one request to the gateway with <paramref name="bearer"/> (none when null) and an optional JSON body.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? bearer = null, object? json = null)
    {
        using var request = GatewayPlatform.Request(method, path, bearer, out _);
        if (json is not null)
        {
            request.Content = JsonContent.Create(json);
        }

        return await Gateway.SendAsync(request);
    }

    public Task<HttpResponseMessage> GetAsync(string path, string? bearer = null) => SendAsync(HttpMethod.Get, path, bearer);

    public Task<HttpResponseMessage> PostAsync(string path, string? bearer = null, object? json = null) => SendAsync(HttpMethod.Post, path, bearer, json ?? new { });

    public Task<HttpResponseMessage> DeleteAsync(string path, string? bearer = null) => SendAsync(HttpMethod.Delete, path, bearer);

    /// <summary>An application/x-www-form-urlencoded POST (the OAuth device endpoints), without credentials.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string path, IReadOnlyDictionary<string, string> form)
    {
        using var request = GatewayPlatform.Request(HttpMethod.Post, path, out _);
        request.Content = new FormUrlEncodedContent(form);
        return await Gateway.SendAsync(request);
    }

    /// <summary>
    /// A request to the recorded upstream through the gateway with <paramref name="bearer"/>: returns the identity headers
    /// it received (after asserting the gateway let it through).
    /// </summary>
    public async Task<RecordedRequest> ObserveAsync(string bearer)
    {
        using var request = GatewayPlatform.Request(HttpMethod.Get, "/api/v1/billing/whoami", bearer, out var requestId);
        using var response = await Gateway.SendAsync(request);
        await response.AssertStatusAsync(HttpStatusCode.OK);
        return Recorder.One(requestId);
    }

    /// <summary>Sign-up through the gateway (public route).</summary>
    public async Task<FlowUser> SignUpAsync(string? email = null, string name = "Flow User")
    {
        email ??= NewEmail();
        using var response = await PostAsync("/api/v1/iam/auth/sign-up/email", json: new { email, password = Password, name });
        var body = await response.AssertStatusAsync(HttpStatusCode.OK);
        return new FlowUser(body.GetProperty("user").GetProperty("id").GetString()!, email, body.GetProperty("token").GetString()!);
    }

    /// <summary>Sign-in through the gateway (public route); returns the new session token.</summary>
    public async Task<string> SignInAsync(string email, string password = Password)
    {
        using var response = await PostAsync("/api/v1/iam/auth/sign-in/email", json: new { email, password });
        return (await response.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("token").GetString()!;
    }

    /// <summary>Follows an emailed link as the console's server does (public route, no callbackURL).</summary>
    public Task<HttpResponseMessage> VerifyLinkAsync(string token) =>
        GetAsync("/api/v1/iam/auth/magic-link/verify?token=" + Uri.EscapeDataString(token));

    /// <summary>The enriched session of <paramref name="bearer"/> through the gateway.</summary>
    public async Task<JsonElement> SessionAsync(string bearer)
    {
        using var response = await GetAsync("/api/v1/iam/nno/session", bearer);
        return await response.AssertStatusAsync(HttpStatusCode.OK);
    }

    /// <summary>
    /// The newest not yet read email to <paramref name="to"/> whose subject starts with <paramref name="subjectStart"/>,
    /// read through the gateway with the static key (<c>GET /api/v1/iam/dev/mailbox?to=…</c>). Delivery is asynchronous
    /// (the outbox dispatcher is woken on commit), so this waits for it in short real-time steps.
    /// </summary>
    public async Task<MailLink> NextMailLinkAsync(string to, string subjectStart)
    {
        for (var attempt = 0; attempt < 250; attempt++)
        {
            using var response = await GetAsync("/api/v1/iam/dev/mailbox?to=" + Uri.EscapeDataString(to), StaticKey);
            var page = await response.AssertStatusAsync(HttpStatusCode.OK);
            foreach (var message in page.GetProperty("data").EnumerateArray())
            {
                var id = message.GetProperty("id").GetString()!;
                var subject = message.GetProperty("subject").GetString()!;
                if (!subject.StartsWith(subjectStart, StringComparison.Ordinal) || !_readMail.Add(id))
                {
                    continue;
                }

                var url = Assert.Single(message.GetProperty("links").EnumerateArray()).GetString()!;
                var token = LinkToken().Match(url);
                Assert.True(token.Success, "No token in " + url);
                return new MailLink(url, token.Groups[1].Value, subject);
            }

            await Task.Delay(20);
        }

        var problems = Logs.Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => $"{e.Service} {e.Category}: {e.Message}");
        throw new Xunit.Sdk.XunitException($"No email \"{subjectStart}…\" reached the dev mailbox of {to}. Warnings: {string.Join('\n', problems)}");
    }

    /// <summary>A client straight into IAM with <paramref name="service"/>'s real token (how other services call IAM).</summary>
    public async Task<HttpClient> ServiceClientAsync(string service)
    {
        var issued = await Platform.IssueServiceTokenAsync(service);
        return Platform.ClientWithToken(NnoServices.Iam, issued.Token);
    }

    /// <summary>The Registry's <c>PUT /api/nno/platforms/{platformId}/members/{userId}</c>, straight to IAM.</summary>
    public async Task PutMemberAsync(string platformId, string userId, string role)
    {
        using var registry = await ServiceClientAsync(NnoServices.Registry);
        using var response = await registry.PutAsJsonAsync($"/api/nno/platforms/{platformId}/members/{userId}", new { role });
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The Registry's <c>POST /api/nno/organizations</c>, straight to IAM; returns the organization id.</summary>
    public async Task<string> CreateOrganizationAsync(string platformId, string ownerId, string name = "Acme")
    {
        using var registry = await ServiceClientAsync(NnoServices.Registry);
        var slug = "org-" + Guid.NewGuid().ToString("N")[..12];
        using var response = await registry.PostAsJsonAsync("/api/nno/organizations", new { platformId, name, slug, ownerId });
        return (await response.AssertStatusAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
    }

    /// <summary>A user signed up through the gateway and made <paramref name="role"/> of <paramref name="platformId"/> by the Registry.</summary>
    public async Task<FlowUser> PlatformUserAsync(string platformId, string role, string? email = null)
    {
        var user = await SignUpAsync(email);
        await PutMemberAsync(platformId, user.Id, role);
        return user;
    }

    /// <summary>Creates an API key through the gateway with <paramref name="session"/>; returns (id, key).</summary>
    public async Task<(string Id, string Key)> CreateApiKeyAsync(string session, string? platformId, params string[] scopes)
    {
        using var response = await PostAsync("/api/v1/iam/nno/apikey", session, new { name = "flow key", platformId, scopes });
        var body = await response.AssertStatusAsync(HttpStatusCode.Created);
        return (body.GetProperty("id").GetString()!, body.GetProperty("key").GetString()!);
    }

    /// <summary>
    /// Bootstraps the first operator through the gateway with the static key when the installation has none yet, then
    /// signs in as that operator; returns the operator's session token.
    /// </summary>
    public async Task<string> OperatorSessionAsync(string email)
    {
        using (var status = await GetAsync("/api/v1/iam/nno/bootstrap", StaticKey))
        {
            if (!(await status.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("bootstrapped").GetBoolean())
            {
                using var created = await PostAsync("/api/v1/iam/nno/bootstrap", StaticKey, new { email, password = Password, name = "Operator" });
                await created.AssertStatusAsync(HttpStatusCode.Created);
            }
        }

        return await SignInAsync(email);
    }

    public async ValueTask DisposeAsync()
    {
        Gateway.Dispose();
        await Platform.DisposeAsync();
    }

    [GeneratedRegex("[?&]token=([A-Za-z0-9_-]{43})(?:&|$)")]
    private static partial Regex LinkToken();
}

/// <summary>Assertions on what a client of the gateway receives.</summary>
public static class FlowAssertions
{
    /// <summary>Asserts the status; returns the JSON body (default for an empty body).</summary>
    public static async Task<JsonElement> AssertStatusAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}: expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts the error envelope with <paramref name="status"/>, <paramref name="code"/> and (object 404s) <c>details.resource</c>.</summary>
    public static async Task<JsonElement> AssertErrorAsync(this HttpResponseMessage response, HttpStatusCode status, string code, bool objectNotFound = false)
    {
        var error = (await response.AssertStatusAsync(status)).GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(response.Headers.GetValues("X-Request-Id").Single(), error.GetProperty("requestId").GetString());
        if (objectNotFound)
        {
            var details = error.GetProperty("details");
            Assert.True(details.ValueKind == JsonValueKind.Object && details.TryGetProperty("resource", out var resource) && resource.GetString() is { Length: > 0 },
                $"{response.RequestMessage?.RequestUri?.PathAndQuery}: no details.resource in {error}");
        }

        return error;
    }

    /// <summary>The gateway's 401 for a credential it does not accept.</summary>
    public static async Task AssertUnauthorizedAsync(this HttpResponseMessage response)
    {
        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    /// <summary>No <c>X-Nno-*</c> header (eviction instructions included) reaches a client.</summary>
    public static void AssertNoInternalHeaders(this HttpResponseMessage response) =>
        Assert.DoesNotContain(response.Headers.Concat(response.Content.Headers), h => h.Key.StartsWith("X-Nno-", StringComparison.OrdinalIgnoreCase));

    public static string[] Strings(this JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];
}
