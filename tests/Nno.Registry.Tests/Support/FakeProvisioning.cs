using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Nno.Core.Services;
using Nno.ServiceDefaults.Bindings;

namespace Nno.Registry.Tests.Support;

/// <summary>One call the fake Provisioning received.</summary>
public sealed record ProvisioningCall(string Method, string Path, string Body, string? IdempotencyKey, bool Bearer, string? JobId)
{
    public JsonElement Json => JsonDocument.Parse(Body.Length == 0 ? "{}" : Body).RootElement.Clone();
}

/// <summary>
/// A stand-in for Provisioning (built in parallel on another branch), registered as the <c>provisioning</c> service of the
/// test platform's in-memory directory: it records every call and answers like provisioning.md §3 — P1–P9 202
/// <c>{jobId, status: "QUEUED"}</c> (the same job for a repeated <c>Idempotency-Key</c>), P11 from <see cref="Jobs"/> (404
/// <c>resource: "job"</c> when absent), P15 200 / P16 204 — unless an injected answer matches first.
/// </summary>
public sealed class FakeProvisioning : IAsyncDisposable
{
    private readonly ConcurrentQueue<(string PathPrefix, int Status, string Body)> _planned = new();
    private readonly ConcurrentDictionary<string, string> _jobsByKey = new(StringComparer.Ordinal);
    private WebApplication? _app;

    public ConcurrentQueue<ProvisioningCall> Calls { get; } = new();

    /// <summary>What P11 answers per job: (status, runNumber, error code).</summary>
    public ConcurrentDictionary<string, (string Status, int Run, string? ErrorCode)> Jobs { get; } = new(StringComparer.Ordinal);

    /// <summary>Answers the next request whose path starts with <paramref name="pathPrefix"/> with <paramref name="status"/> and an envelope.</summary>
    public void Fail(string pathPrefix, int status, string code = "INJECTED", string detailsJson = "null", int times = 1)
    {
        for (var i = 0; i < times; i++)
        {
            _planned.Enqueue((pathPrefix, status, "{\"error\":{\"code\":\"" + code + "\",\"message\":\"injected\",\"details\":" + detailsJson + ",\"requestId\":\"req_fake\"}}"));
        }
    }

    public IReadOnlyList<ProvisioningCall> CallsTo(string pathPrefix) => Calls.Where(c => c.Path.StartsWith(pathPrefix, StringComparison.Ordinal)).ToList();

    public async Task StartAsync(ServiceDirectory directory)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IServer>(new InMemoryServer(null));
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync();
        directory.Register(NnoServices.Provisioning, (InMemoryServer)_app.Services.GetRequiredService<IServer>());
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? string.Empty;
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var key = request.Headers["Idempotency-Key"].FirstOrDefault();
        var bearer = request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal);
        if (_planned.TryPeek(out var plan) && path.StartsWith(plan.PathPrefix, StringComparison.Ordinal) && _planned.TryDequeue(out plan))
        {
            Calls.Enqueue(new ProvisioningCall(request.Method, path, body, key, bearer, null));
            context.Response.StatusCode = plan.Status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(plan.Body);
            return;
        }

        if (request.Method == "GET" && path.StartsWith("/api/v1/provision/jobs/", StringComparison.Ordinal))
        {
            var jobId = path["/api/v1/provision/jobs/".Length..];
            Calls.Enqueue(new ProvisioningCall(request.Method, path, body, key, bearer, jobId));
            if (!Jobs.TryGetValue(jobId, out var job))
            {
                context.Response.StatusCode = 404;
                await context.Response.WriteAsJsonAsync(new { error = new { code = "NOT_FOUND", message = "no job", details = new { resource = "job" }, requestId = "req_fake" } });
                return;
            }

            await context.Response.WriteAsJsonAsync(new
            {
                jobId, type = "X", status = job.Status, runNumber = job.Run,
                error = job.ErrorCode is null ? null : new { code = job.ErrorCode, message = "failed", step = "x" },
            });
            return;
        }

        if (path.StartsWith("/api/v1/provision/secrets/", StringComparison.Ordinal))
        {
            Calls.Enqueue(new ProvisioningCall(request.Method, path, body, key, bearer, null));
            if (request.Method == "DELETE")
            {
                context.Response.StatusCode = 204;
                return;
            }

            await context.Response.WriteAsJsonAsync(new { name = path.Split('/')[^1], worker = "w", status = "set" });
            return;
        }

        if (request.Method == "POST" && path.StartsWith("/api/v1/provision/", StringComparison.Ordinal))
        {
            var id = key is null ? NewJobId() : _jobsByKey.GetOrAdd(key, _ => NewJobId());
            Calls.Enqueue(new ProvisioningCall(request.Method, path, body, key, bearer, id));
            context.Response.StatusCode = 202;
            await context.Response.WriteAsJsonAsync(new { jobId = id, status = "QUEUED" });
            return;
        }

        context.Response.StatusCode = 404;
    }

    private static string NewJobId() => "job_" + Guid.NewGuid().ToString("N")[..20];

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

/// <summary>The Registry with IAM, the real Stack Registry and <see cref="FakeProvisioning"/>, plus the calls the job tests share.</summary>
public sealed class ProvisioningHarness : IAsyncDisposable
{
    private ProvisioningHarness(RegistryHost host, FakeProvisioning provisioning)
    {
        Host = host;
        Provisioning = provisioning;
    }

    public RegistryHost Host { get; }

    public FakeProvisioning Provisioning { get; }

    public static async Task<ProvisioningHarness> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var fake = new FakeProvisioning();
        var host = await RegistryHost.StartWithAsync(settings, services: [NnoServices.Iam, NnoServices.Registry, NnoServices.StackRegistry]);
        await fake.StartAsync(host.Platform.Host.Directory);
        RegistryApi.CurrentHost.Value = host;
        return new ProvisioningHarness(host, fake);
    }

    /// <summary>An imported, active platform whose default entity has its IAM organization (so it is active).</summary>
    public async Task<(string Pid, string DefaultEntity)> PlatformAsync(string slug, string tier = "starter", string? owner = null)
    {
        var platform = await Host.ImportAsync(slug, owner ?? "usr_" + slug.Replace("-", "_", StringComparison.Ordinal), tier);
        var pid = platform.GetProperty("id").GetString()!;

        // The IAM organization of the default entity is not what these tests are about: the entity is made active directly.
        var entity = await Host.WithDbAsync(async db =>
        {
            var id = await db.Entities.Where(e => e.PlatformId == pid && e.IsDefault).Select(e => e.Id).SingleAsync();
            await db.Entities.Where(e => e.Id == id).ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, "active").SetProperty(e => e.IamOrgId, "org_" + id));
            return id;
        });
        return (pid, entity);
    }

    /// <summary>A tenant entity made active directly (its organization is not what these tests are about).</summary>
    public Task<string> TenantAsync(string pid, string slug, string? parentId = null) =>
        Host.WithDbAsync(async db =>
        {
            var id = Guid.NewGuid().ToString("N")[..10];
            db.Entities.Add(new Nno.Registry.Entities.EntityRecord
            {
                Id = id, PlatformId = pid, ParentId = parentId, Type = parentId is null ? "tenant" : "sub_tenant", Depth = parentId is null ? 0 : 1, Name = slug, Slug = slug,
                Status = "active", IamOrgId = "org_" + id, CreatedBy = "test", CreatedAt = 1, UpdatedAt = 1,
            });
            await db.SaveChangesAsync();
            return id;
        });

    /// <summary>Provisions an environment end to end (P1, then COMPLETED).</summary>
    public async Task EnvironmentAsync(string pid, string environment = "prod")
    {
        using var op = Host.Operator();
        var created = await (await op.PostJsonAsync($"{RegistryApi.Platforms}/{pid}/environments", new { environment })).ExpectAsync(System.Net.HttpStatusCode.Accepted);
        await EventAsync(pid, created.GetProperty("provisionJobId").GetString()!, 1, "COMPLETED");
    }

    /// <summary>Reports a job event with Provisioning's real token; returns the response.</summary>
    public async Task<HttpResponseMessage> EventAsync(string pid, string jobId, int run, string status, string? errorCode = null)
    {
        using var client = await Host.ServiceAsync(NnoServices.Provisioning);
        object body = errorCode is null
            ? new { jobId, runNumber = run, status }
            : new { jobId, runNumber = run, status, error = new { code = errorCode, message = "it failed" } };
        return await client.PostAsJsonAsync($"{RegistryApi.Platforms}/{pid}/provision-events", body);
    }

    /// <summary>Waits for the relay to send a call to <paramref name="pathPrefix"/> (the <paramref name="count"/>-th) and returns it.</summary>
    public async Task<ProvisioningCall> CallAsync(string pathPrefix, int count = 1)
    {
        await OutboxTestKit.EventuallyAsync(() => Task.FromResult(Provisioning.CallsTo(pathPrefix).Count >= count), "a call to " + pathPrefix);
        return Provisioning.CallsTo(pathPrefix)[count - 1];
    }

    /// <summary>Waits until <paramref name="read"/> of the object returns <paramref name="status"/>.</summary>
    public async Task<System.Text.Json.JsonElement> StatusAsync(string path, string status, HttpClient? client = null)
    {
        using var op = Host.Operator();
        var reader = client ?? op;
        System.Text.Json.JsonElement last = default;
        await OutboxTestKit.EventuallyAsync(async () =>
        {
            last = await (await reader.GetAsync(path)).ReadJsonAsync();
            return last.ValueKind == System.Text.Json.JsonValueKind.Object && last.TryGetProperty("status", out var s) && s.GetString() == status;
        }, $"{path} to be {status} (last: {last})");
        return last;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Provisioning.DisposeAsync();
    }
}
