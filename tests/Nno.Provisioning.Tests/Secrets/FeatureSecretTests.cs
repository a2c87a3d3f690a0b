using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Nno.Client.Identity;
using Nno.Core.Identity;
using Nno.Core.Services;
using Nno.Provisioning.Tests.Support;
using Nno.Testing.Logging;
using Nno.Testing.Security;

namespace Nno.Provisioning.Tests.Secrets;

/// <summary>P15/P16 against the Cloudflare emulator (provisioning.md §3, §7 item 25).</summary>
public sealed class FeatureSecretTests
{
    private const string Activate = "/api/v1/provision/feature/activate";

    private static string SecretPath(string pid, string name, string fid = "team", string env = "prod", string sid = "default") =>
        $"/api/v1/provision/secrets/{pid}/{env}/{sid}/{fid}/{name}";

    private static object ActivateBody(string pid, string version = "1.0.0") =>
        new { platformId = pid, entityId = "eeeeeeeeee", featureId = "team", featureVersion = version, environment = "prod", stackId = "default" };

    private static async Task<List<(string Name, string? Type)>> WorkerSecretsAsync(CloudflareHost cf, string worker) =>
        [.. (await cf.GetAsync($"accounts/{CloudflareHost.Account}/workers/scripts/{worker}/secrets"))!.Value.EnumerateArray()
            .Select(s => (s.GetProperty("name").GetString()!, s.TryGetProperty("type", out var t) ? t.GetString() : null))];

    private static async Task<HttpResponseMessage> PutAsync(HttpClient client, string path, object body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(path, UriKind.Relative)) { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return await client.SendAsync(request);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> AnswerAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
        }
    }

    /// <summary>Every byte of every file under <paramref name="directory"/> (databases with their WAL and journal files).</summary>
    private static IEnumerable<(string File, byte[] Bytes)> FilesUnder(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            yield return (file, copy.ToArray());
        }
    }

    [Fact]
    public async Task Put_WritesTheSecretToTheFeatureWorker_AReUploadKeepsIt_AndNoDatabaseLogOrIdempotencyRecordHoldsTheValue()
    {
        var logs = new CapturingLoggerProvider();
        await using var cf = await CloudflareHost.StartAsync(configure: services =>
        {
            services.AddSingleton<ILoggerProvider>(logs);
            services.Configure<LoggerFilterOptions>(o => o.AddFilter<CapturingLoggerProvider>(null, LogLevel.Trace));
        });
        const string pid = "se11111111";
        const string worker = pid + "-default-team";
        await cf.ProvisionAsync(pid);
        await cf.RunAsync(Activate, ActivateBody(pid));
        var value = "v4lue-" + Guid.NewGuid().ToString("N");
        using var registry = await cf.Host.RegistryClientAsync();

        var (status, body) = await AnswerAsync(await PutAsync(registry, SecretPath(pid, "STRIPE_KEY"), new { value }, idempotencyKey: "secret-key-1"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("STRIPE_KEY", worker, "set"), (body.GetProperty("name").GetString(), body.GetProperty("worker").GetString(), body.GetProperty("status").GetString()));
        Assert.Contains(("STRIPE_KEY", "secret_text"), await WorkerSecretsAsync(cf, worker));

        // Upgrading the feature re-uploads its Worker (keep_bindings): the secret stays.
        await cf.RunAsync(Activate, ActivateBody(pid, "1.1.0"));
        var settings = (await cf.WorkerSettingsAsync(worker))!.Value;
        Assert.Contains(settings.GetProperty("bindings").EnumerateArray(), b => b.GetProperty("name").GetString() == "FEATURE_VERSION");
        Assert.Contains(await cf.RequestsAsync(), r => r.Method == "PUT" && r.Path.EndsWith("/workers/scripts/" + worker, StringComparison.Ordinal) && r.Status == 200);
        Assert.Contains(("STRIPE_KEY", "secret_text"), await WorkerSecretsAsync(cf, worker));

        // The value is nowhere on NNO's side: not in any file of the data directory (the provisioning database with its
        // WAL, the idempotency table, KV and queues), not in a log line, not in a call to the Registry.
        var needle = Encoding.UTF8.GetBytes(value);
        var files = FilesUnder(cf.Host.Platform.DataDir).ToList();
        Assert.Contains(files, f => Path.GetFileName(f.File).StartsWith("provisioning", StringComparison.Ordinal));
        Assert.All(files, f => Assert.True(f.Bytes.AsSpan().IndexOf(needle) < 0, "the value is in " + f.File));
        Assert.NotEmpty(logs.Lines);
        Assert.DoesNotContain(logs.Lines, l => l.Contains(value, StringComparison.Ordinal));
        Assert.DoesNotContain(cf.Registry.Calls, c => c.Body?.Contains(value, StringComparison.Ordinal) == true);

        // P16 removes it; a second delete of the now missing secret still answers 204.
        var (deleted, _) = await AnswerAsync(await registry.DeleteAsync(new Uri(SecretPath(pid, "STRIPE_KEY"), UriKind.Relative)));
        Assert.Equal(HttpStatusCode.NoContent, deleted);
        Assert.DoesNotContain(await WorkerSecretsAsync(cf, worker), s => s.Name == "STRIPE_KEY");
        var (again, _) = await AnswerAsync(await registry.DeleteAsync(new Uri(SecretPath(pid, "STRIPE_KEY"), UriKind.Relative)));
        Assert.Equal(HttpStatusCode.NoContent, again);
    }

    [Fact]
    public async Task FeatureWithoutWorker_Answers404Worker_ForPutAndDelete_WithoutCallingCloudflare()
    {
        await using var cf = await CloudflareHost.StartAsync();
        const string pid = "se22222222";
        await cf.ProvisionAsync(pid);
        using var registry = await cf.Host.RegistryClientAsync();

        var (put, putBody) = await AnswerAsync(await PutAsync(registry, SecretPath(pid, "API_KEY", fid: "billing"), new { value = "x" }));
        var (delete, deleteBody) = await AnswerAsync(await registry.DeleteAsync(new Uri(SecretPath(pid, "API_KEY", fid: "billing"), UriKind.Relative)));

        Assert.Equal((HttpStatusCode.NotFound, "NOT_FOUND", "worker"), (put, putBody.GetProperty("error").GetProperty("code").GetString(), putBody.GetProperty("error").GetProperty("details").GetProperty("resource").GetString()));
        Assert.Equal((HttpStatusCode.NotFound, "worker"), (delete, deleteBody.GetProperty("error").GetProperty("details").GetProperty("resource").GetString()));
        Assert.DoesNotContain(await cf.RequestsAsync(), r => r.Path.Contains("/secrets", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OnlyTheRegistry_MayCall_OperatorsAndUsersGet404_OtherServices403()
    {
        await using var cf = await CloudflareHost.StartAsync();
        const string pid = "se33333333";
        await cf.ProvisionAsync(pid);
        await cf.RunAsync(Activate, ActivateBody(pid));
        var platform = cf.Host.Platform;
        var path = SecretPath(pid, "API_KEY");

        using var operatorSession = platform.GatewayClient(NnoServices.Provisioning, GatewayIdentity.Session("usr_bbbbbbbbbbbbbbbbbbbb", "ses_bbbbbbbbbbbbbbbbbbbb", role: NnoIdentityHeaders.Roles.PlatformAdmin));
        using var staticKey = cf.Host.Operator();
        using var owner = cf.Host.User(pid);
        using var cli = platform.ClientWithToken(NnoServices.Provisioning, (await platform.IssueServiceTokenAsync(NnoServices.Cli)).Token);

        foreach (var client in new[] { operatorSession, staticKey, owner })
        {
            var (status, body) = await AnswerAsync(await PutAsync(client, path, new { value = "x" }));
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.Equal(JsonValueKind.Null, body.GetProperty("error").GetProperty("details").ValueKind);
            var (deleteStatus, _) = await AnswerAsync(await client.DeleteAsync(new Uri(path, UriKind.Relative)));
            Assert.Equal(HttpStatusCode.NotFound, deleteStatus);
        }

        var (cliStatus, cliBody) = await AnswerAsync(await PutAsync(cli, path, new { value = "x" }));
        Assert.Equal((HttpStatusCode.Forbidden, "FORBIDDEN"), (cliStatus, cliBody.GetProperty("error").GetProperty("code").GetString()));
        var (cliDelete, _) = await AnswerAsync(await cli.DeleteAsync(new Uri(path, UriKind.Relative)));
        Assert.Equal(HttpStatusCode.Forbidden, cliDelete);
        Assert.DoesNotContain(await WorkerSecretsAsync(cf, pid + "-default-team"), s => s.Name == "API_KEY");
    }

    [Fact]
    public async Task BadNamesValuesAndBodies_Answer400_AndReachNoWorker()
    {
        await using var cf = await CloudflareHost.StartAsync();
        const string pid = "se44444444";
        await cf.ProvisionAsync(pid);
        await cf.RunAsync(Activate, ActivateBody(pid));
        using var registry = await cf.Host.RegistryClientAsync();

        var cases = new (string Path, object Body, string Field)[]
        {
            (SecretPath(pid, "lower_case"), new { value = "x" }, "name"),
            (SecretPath(pid, "_LEADING"), new { value = "x" }, "name"),
            (SecretPath(pid, "A" + new string('B', 128)), new { value = "x" }, "name"),
            (SecretPath(pid, "DB"), new { value = "x" }, "name"),
            (SecretPath(pid, "FEATURE_ID"), new { value = "x" }, "name"),
            (SecretPath(pid, "API_KEY"), new { value = "" }, "value"),
            (SecretPath(pid, "API_KEY"), new { value = new string('é', 4097) }, "value"),
            (SecretPath(pid, "API_KEY"), new { }, "value"),
            (SecretPath(pid, "API_KEY", env: "qa"), new { value = "x" }, "environment"),
            (SecretPath(pid, "API_KEY", fid: "Team"), new { value = "x" }, "featureId"),
            (SecretPath(pid, "API_KEY", sid: "nope"), new { value = "x" }, "stackId"),
        };
        foreach (var (path, body, field) in cases)
        {
            var (status, answer) = await AnswerAsync(await PutAsync(registry, path, body));
            Assert.True(status == HttpStatusCode.BadRequest, $"{path}: {status} {answer}");
            Assert.True(answer.GetProperty("error").GetProperty("details").GetProperty("fields").TryGetProperty(field, out _), $"{path}: {answer}");
        }

        var (unknown, unknownBody) = await AnswerAsync(await PutAsync(registry, SecretPath(pid, "API_KEY"), new { value = "x", extra = 1 }));
        Assert.Equal(HttpStatusCode.BadRequest, unknown);
        Assert.Contains("extra", unknownBody.ToString(), StringComparison.Ordinal);

        // 8 KiB exactly is accepted.
        var (largest, _) = await AnswerAsync(await PutAsync(registry, SecretPath(pid, "LARGEST"), new { value = new string('x', 8192) }));
        Assert.Equal(HttpStatusCode.OK, largest);
        Assert.Equal(["LARGEST"], (await WorkerSecretsAsync(cf, pid + "-default-team")).Select(s => s.Name));
    }

    [Fact]
    public async Task CloudflareFailures_Answer502_AndA429Answers503WithRetryAfter()
    {
        await using var cf = await CloudflareHost.StartAsync();
        const string pid = "se55555555";
        await cf.ProvisionAsync(pid);
        await cf.RunAsync(Activate, ActivateBody(pid));
        using var registry = await cf.Host.RegistryClientAsync();
        var path = SecretPath(pid, "API_KEY");

        await cf.SetFaultsAsync(new { failNext = new[] { new { method = "PUT", pathRegex = "/secrets$", status = 500, code = 10001, message = "boom", count = 1 } } });
        var (failed, failedBody) = await AnswerAsync(await PutAsync(registry, path, new { value = "x" }));
        Assert.Equal((HttpStatusCode.BadGateway, "BAD_GATEWAY"), (failed, failedBody.GetProperty("error").GetProperty("code").GetString()));

        await cf.SetFaultsAsync(new { failNext = new[] { new { method = "DELETE", pathRegex = "/secrets/API_KEY$", status = 429, code = 971, message = "slow down", count = 1 } } });
        using var limited = await registry.DeleteAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After");
        Assert.Equal("SERVICE_UNAVAILABLE", (await limited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
    }
}
