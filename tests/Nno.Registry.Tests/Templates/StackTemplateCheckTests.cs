using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Nno.Client.Identity;
using Nno.Core.Errors;
using Nno.Core.Json;
using Nno.Core.Services;
using Nno.Registry.Templates;
using Nno.Registry.Tests.Support;
using Nno.Testing;
using Nno.Testing.Security;

namespace Nno.Registry.Tests.Templates;

/// <summary>
/// IAM, the Registry and the real Stack Registry (seed catalogue) in memory, with a switch in front of the Stack Registry's
/// pipeline that can make it fail (500) or hang (until the fake clock passes the Registry's budget).
/// </summary>
public sealed class StackRegistryPlatform : IAsyncLifetime
{
    public TestPlatform Platform { get; private set; } = null!;

    /// <summary>What the Stack Registry does with the next requests.</summary>
    public volatile string Mode = "normal";

    /// <summary>Requests the Stack Registry received: (path, X-Request-Id, X-Trace-Id, had a bearer token, X-Nno-Auth).</summary>
    public ConcurrentQueue<(string Path, string RequestId, string TraceId, bool Bearer, string IdentityHeader)> Seen { get; } = new();

    /// <summary>Completed when a hanging request has arrived.</summary>
    public TaskCompletionSource Hanging { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task InitializeAsync()
    {
        Platform = await TestPlatform.StartAsync(
            [NnoServices.Iam, NnoServices.Registry, NnoServices.StackRegistry],
            configurePipeline: (name, app) =>
            {
                if (name != NnoServices.StackRegistry)
                {
                    return;
                }

                app.Use(async (HttpContext context, RequestDelegate next) =>
                {
                    var request = context.Request;
                    if (request.Path.StartsWithSegments("/api/v1/stacks") && request.Method == HttpMethods.Get)
                    {
                        Seen.Enqueue((request.Path.Value!, request.Headers["X-Request-Id"].ToString(), request.Headers["X-Trace-Id"].ToString(),
                            request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal), request.Headers["X-Nno-Auth"].ToString()));
                        switch (Mode)
                        {
                            case "fail":
                                context.Response.StatusCode = 500;
                                return;
                            case "hang":
                                Hanging.TrySetResult();
                                await Task.Delay(TimeSpan.FromMinutes(5), Platform.Time, context.RequestAborted);
                                return;
                        }
                    }

                    await next(context);
                });
            });
    }

    public async Task DisposeAsync() => await Platform.DisposeAsync();

    public void ResetHanging() => Hanging = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Runs the Registry's template check in a request scope.</summary>
    internal async Task<CheckedTemplate> CheckAsync(string? templateId, string? version, string requestId = "req-check-1")
    {
        await using var scope = Platform.Host.Apps[NnoServices.Registry].Services.CreateAsyncScope();
        var check = scope.ServiceProvider.GetRequiredService<StackTemplateCheck>();
        return await check.CheckAsync(templateId, version, new StackRegistryCallContext(requestId, "trace-" + requestId), CancellationToken.None);
    }

    /// <summary>An operator of the Stack Registry's catalogue, as the gateway sends one.</summary>
    public HttpClient Operator() =>
        Platform.GatewayClient(NnoServices.StackRegistry, GatewayIdentity.Session("usr_catalogue_operator", "ses_catalogue_operator", "platform-admin"));

    /// <summary>Creates template <paramref name="name"/> with the given versions (a copy of the crm seed's definition).</summary>
    public async Task CreateTemplateAsync(string name, params string[] versions)
    {
        using var op = Operator();
        using var created = await op.PostJsonAsync("/api/v1/stacks", new { name, displayName = "Check " + name, description = "A template for the check tests." });
        await created.ExpectAsync(HttpStatusCode.Created);
        using var seed = await op.GetAsync("/api/v1/stacks/crm/versions/1.0.0");
        var definition = JsonNode.Parse((await seed.ExpectAsync(HttpStatusCode.OK)).GetProperty("definition").GetRawText())!.AsObject();
        foreach (var version in versions)
        {
            definition["name"] = name;
            definition["version"] = version;
            using var published = await op.PostJsonAsync($"/api/v1/stacks/{name}/versions", new { version, definition });
            await published.ExpectAsync(HttpStatusCode.Created);
        }
    }

    public async Task DeprecateVersionAsync(string name, string version)
    {
        using var op = Operator();
        using var response = await op.PostJsonAsync($"/api/v1/stacks/{name}/versions/{version}/deprecate", new { reason = "replaced" });
        await response.ExpectAsync(HttpStatusCode.OK);
    }
}

public sealed class StackTemplateCheckTests(StackRegistryPlatform fixture) : IClassFixture<StackRegistryPlatform>
{
    private static string DetailsOf(ApiException error) => JsonSerializer.Serialize(error.Details, NnoJson.Options);

    private async Task<ApiException> FailsAsync(string? templateId, string? version)
    {
        fixture.Mode = "normal";
        return await Assert.ThrowsAsync<ApiException>(() => fixture.CheckAsync(templateId, version));
    }

    [Fact]
    public async Task A_seed_template_passes_at_latest_and_at_an_explicit_version()
    {
        fixture.Mode = "normal";
        var latest = await fixture.CheckAsync("saas-starter", null);
        Assert.Equal(new CheckedTemplate("saas-starter", "latest", "1.0.0", 4), latest with { Definition = null });
        Assert.Equal(4, latest.Definition!.Value.GetProperty("features").GetArrayLength());

        var exact = await fixture.CheckAsync("crm", "1.0.0");
        Assert.Equal("1.0.0", exact.RequestedVersion);
        Assert.Equal("1.0.0", exact.ResolvedVersion);

        var explicitLatest = await fixture.CheckAsync("analytics-pro", "latest");
        Assert.Equal("latest", explicitLatest.RequestedVersion);
    }

    [Fact]
    public async Task Calls_carry_the_registry_token_and_the_request_ids_and_no_identity_headers()
    {
        fixture.Mode = "normal";
        await fixture.CheckAsync("crm", "1.0.0", requestId: "req-forwarded-42");
        var calls = fixture.Seen.Where(s => s.RequestId == "req-forwarded-42").ToList();
        Assert.Equal(["/api/v1/stacks/crm", "/api/v1/stacks/crm/versions/1.0.0"], calls.Select(c => c.Path));
        Assert.All(calls, c =>
        {
            Assert.True(c.Bearer);
            Assert.Equal("trace-req-forwarded-42", c.TraceId);
            Assert.Equal(string.Empty, c.IdentityHeader);
        });
    }

    [Fact]
    public async Task An_unknown_template_is_404_with_the_template_and_version()
    {
        var error = await FailsAsync("no-such-template", null);
        Assert.Equal((ErrorCodes.NotFound, 404), (error.Code, error.Status));
        Assert.Equal("""{"templateId":"no-such-template","templateVersion":"latest"}""", DetailsOf(error));
    }

    [Fact]
    public async Task An_unknown_version_is_404_with_the_template_and_version()
    {
        var error = await FailsAsync("saas-starter", "9.9.9");
        Assert.Equal((ErrorCodes.NotFound, 404), (error.Code, error.Status));
        Assert.Equal("""{"templateId":"saas-starter","templateVersion":"9.9.9"}""", DetailsOf(error));
    }

    [Fact]
    public async Task A_version_deprecated_through_the_stack_registry_is_400_naming_templateVersion()
    {
        await fixture.CreateTemplateAsync("check-deprecated-version", "1.0.0", "1.1.0");
        Assert.Equal("1.1.0", (await fixture.CheckAsync("check-deprecated-version", null)).ResolvedVersion);

        await fixture.DeprecateVersionAsync("check-deprecated-version", "1.1.0");
        var error = await FailsAsync("check-deprecated-version", "1.1.0");
        Assert.Equal((ErrorCodes.ValidationError, 400), (error.Code, error.Status));
        Assert.Contains("\"templateVersion\"", DetailsOf(error), StringComparison.Ordinal);

        // latest now resolves to the remaining active version.
        Assert.Equal("1.0.0", (await fixture.CheckAsync("check-deprecated-version", null)).ResolvedVersion);
    }

    [Fact]
    public async Task Latest_with_no_active_version_is_404()
    {
        await fixture.CreateTemplateAsync("check-no-active", "1.0.0");
        await fixture.DeprecateVersionAsync("check-no-active", "1.0.0");
        var error = await FailsAsync("check-no-active", null);
        Assert.Equal((ErrorCodes.NotFound, 404), (error.Code, error.Status));
        Assert.Equal("""{"templateId":"check-no-active","templateVersion":"latest"}""", DetailsOf(error));
    }

    [Fact]
    public async Task A_template_without_any_version_is_404_at_latest()
    {
        await fixture.CreateTemplateAsync("check-empty");
        var error = await FailsAsync("check-empty", null);
        Assert.Equal(404, error.Status);
    }

    [Fact]
    public async Task A_deprecated_template_is_400_naming_templateId()
    {
        await fixture.CreateTemplateAsync("check-deprecated-template", "1.0.0");
        using (var op = fixture.Operator())
        {
            using var patched = await op.PatchJsonAsync("/api/v1/stacks/check-deprecated-template", new { status = "deprecated" });
            await patched.ExpectAsync(HttpStatusCode.OK);
        }

        var error = await FailsAsync("check-deprecated-template", "1.0.0");
        Assert.Equal((ErrorCodes.ValidationError, 400), (error.Code, error.Status));
        Assert.Contains("\"templateId\"", DetailsOf(error), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, "templateId")]
    [InlineData("Saas-Starter", null, "templateId")]
    [InlineData("saas_starter", null, "templateId")]
    [InlineData("-saas", null, "templateId")]
    [InlineData("saas-starter", "^1.0.0", "templateVersion")]
    [InlineData("saas-starter", "v1.0.0", "templateVersion")]
    [InlineData("saas-starter", "1.0", "templateVersion")]
    [InlineData("saas-starter", "1.0.0+build", "templateVersion")]
    public async Task Malformed_names_and_versions_are_400_without_a_call(string? templateId, string? version, string field)
    {
        var before = fixture.Seen.Count;
        var error = await FailsAsync(templateId, version);
        Assert.Equal(400, error.Status);
        Assert.Contains($"\"{field}\"", DetailsOf(error), StringComparison.Ordinal);
        Assert.Equal(before, fixture.Seen.Count);
    }

    [Fact]
    public async Task A_failing_stack_registry_is_502_after_one_retry()
    {
        fixture.Mode = "fail";
        try
        {
            var error = await Assert.ThrowsAsync<ApiException>(() => fixture.CheckAsync("crm", "1.0.0", requestId: "req-failing"));
            Assert.Equal((ErrorCodes.BadGateway, 502), (error.Code, error.Status));
            Assert.Equal(2, fixture.Seen.Count(s => s.RequestId == "req-failing"));
        }
        finally
        {
            fixture.Mode = "normal";
        }
    }

    [Fact]
    public async Task A_stack_registry_slower_than_10_s_is_504()
    {
        fixture.ResetHanging();
        fixture.Mode = "hang";
        try
        {
            var check = fixture.CheckAsync("crm", "1.0.0", requestId: "req-hanging");
            await fixture.Hanging.Task.WaitAsync(TimeSpan.FromSeconds(30));
            fixture.Platform.Time.Advance(TimeSpan.FromSeconds(9));
            await Task.Delay(50);
            Assert.False(check.IsCompleted);
            fixture.Platform.Time.Advance(TimeSpan.FromSeconds(1));
            var error = await Assert.ThrowsAsync<ApiException>(() => check.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal((ErrorCodes.UpstreamTimeout, 504), (error.Code, error.Status));
            Assert.Single(fixture.Seen, s => s.RequestId == "req-hanging");
        }
        finally
        {
            fixture.Mode = "normal";
        }
    }
}

public sealed class StackTemplateCheckWithoutStackRegistryTests
{
    [Fact]
    public async Task A_stack_registry_that_is_not_running_is_502()
    {
        await using var platform = await TestPlatform.StartAsync([NnoServices.Iam, NnoServices.Registry]);
        await using var scope = platform.Host.Apps[NnoServices.Registry].Services.CreateAsyncScope();
        var check = scope.ServiceProvider.GetRequiredService<StackTemplateCheck>();
        var error = await Assert.ThrowsAsync<ApiException>(() => check.CheckAsync("crm", null, new StackRegistryCallContext("req-down", "trace-down"), CancellationToken.None));
        Assert.Equal((ErrorCodes.BadGateway, 502), (error.Code, error.Status));
    }
}
