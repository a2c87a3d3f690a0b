using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Nno.Sandbox.Cloudflare.Common;

namespace Nno.Sandbox.Cloudflare.Pages;

/// <summary>
/// Cloudflare Pages (provisioning.md §5.1): Direct Upload projects, custom domains (<c>pending → active</c> after the
/// SSL delay knob) and deployments whose stages advance on the emulator's clock (<c>pagesBuildSeconds</c>, failing per
/// <c>pagesBuildFailureRate</c>), computed at read time.
/// </summary>
internal static class PagesApi
{
    public const int InvalidRequest = 8000000;
    public const int DuplicateProject = 8000002;
    public const int ProjectNotFound = 8000007;
    public const int DeploymentNotFound = 8000009;
    public const int DomainNotFound = 8000010;
    public const int DomainTaken = 8000018;
    public const int RollbackRefused = 8000035;

    private static readonly string[] Stages = ["queued", "initialize", "clone_repo", "build", "deploy"];

    public static CloudflareArea Area { get; } = new()
    {
        Name = "Pages",
        Schema = PagesStore.Schema,
        State =
        [
            new CloudflareStateKind("pagesProjects", "SELECT name FROM pages_projects ORDER BY name"),
            new CloudflareStateKind("pagesDomains", "SELECT name FROM pages_domains ORDER BY name"),
        ],
        AddServices = services => services.AddSingleton<PagesStore>(),
        Map = groups => Map(groups.Account),
    };

    private static void Map(RouteGroupBuilder account)
    {
        var projects = account.MapGroup("/pages/projects").WithTags("Cloudflare Pages");
        projects.MapGet("", ListProjects).WithName("CfPagesListProjects").WithSummary("Lists projects.");
        projects.MapPost("", CreateProject).WithName("CfPagesCreateProject").WithSummary("Creates a Direct Upload project.");
        projects.MapGet("/{name}", GetProject).WithName("CfPagesGetProject").WithSummary("Reads a project.");
        projects.MapDelete("/{name}", DeleteProject).WithName("CfPagesDeleteProject").WithSummary("Deletes a project, its domains and deployments.");
        projects.MapGet("/{name}/domains", ListDomains).WithName("CfPagesListDomains").WithSummary("Lists a project's domains.");
        projects.MapPost("/{name}/domains", AddDomain).WithName("CfPagesAddDomain").WithSummary("Adds a custom domain (pending until the SSL delay).");
        projects.MapGet("/{name}/domains/{domain}", GetDomain).WithName("CfPagesGetDomain").WithSummary("Reads a domain.");
        projects.MapDelete("/{name}/domains/{domain}", DeleteDomain).WithName("CfPagesDeleteDomain").WithSummary("Removes a domain.");
        projects.MapGet("/{name}/deployments", ListDeployments).WithName("CfPagesListDeployments").WithSummary("Lists deployments (env, page, per_page).");
        projects.MapPost("/{name}/deployments", CreateDeployment).WithName("CfPagesCreateDeployment")
            .WithSummary("Creates a deployment from multipart manifest, branch, commit_hash, commit_message.").DisableAntiforgery();
        projects.MapGet("/{name}/deployments/{id}", GetDeployment).WithName("CfPagesGetDeployment").WithSummary("Reads a deployment.");
        projects.MapPost("/{name}/deployments/{id}/retry", RetryDeployment).WithName("CfPagesRetryDeployment").WithSummary("Builds a deployment again.");
        projects.MapPost("/{name}/deployments/{id}/rollback", RollbackDeployment).WithName("CfPagesRollbackDeployment")
            .WithSummary("Rolls production back to a successful production deployment.");
    }

    private static async Task<IResult> ListProjects(HttpRequest request, PagesStore store, CloudflareState state, CancellationToken cancellationToken)
    {
        var paging = CloudflarePaging.Read(request, 10, 100);
        await using var connection = await store.OpenAsync(cancellationToken);
        var (rows, total) = await PagesStore.ListProjectsAsync(connection, paging, cancellationToken);
        var items = new List<JsonObject>(rows.Count);
        foreach (var row in rows)
        {
            items.Add(await ProjectViewAsync(connection, row, state, cancellationToken));
        }

        return CloudflareResults.Page(items, paging, total);
    }

    private static async Task<IResult> CreateProject(HttpRequest request, PagesStore store, CloudflareState state, CancellationToken cancellationToken)
    {
        var body = await CloudflareRequestBody.ReadObjectAsync(request, cancellationToken);
        CloudflareRequestBody.OnlyAllow(body, "name", "production_branch", "deployment_configs", "build_config", "source");
        var name = CloudflareRequestBody.RequiredString(body, "name");
        if (name.Length > 58 || name[0] == '-' || name[^1] == '-' || !name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
        {
            throw CloudflareException.BadRequest("Project names are 1-58 characters of a-z, 0-9 and '-', not starting or ending with '-'.", InvalidRequest);
        }

        if (body["source"] is not null)
        {
            throw CloudflareException.BadRequest("The sandbox serves Direct Upload projects only (no source).", InvalidRequest);
        }

        var branch = CloudflareRequestBody.OptionalString(body, "production_branch") ?? "main";
        var configs = NormalizeConfigs(CloudflareRequestBody.OptionalObject(body, "deployment_configs"));
        var row = new PagesProjectRow(CloudflareState.NewUuid(), name, branch, configs.ToJsonString(), state.NowText());
        await using var connection = await store.OpenAsync(cancellationToken);
        if (!await PagesStore.InsertProjectAsync(connection, row, cancellationToken))
        {
            throw CloudflareException.Conflict(DuplicateProject, "A project with this name already exists. Choose a different project name.");
        }

        return CloudflareResults.Ok(await ProjectViewAsync(connection, row, state, cancellationToken));
    }

    private static async Task<IResult> GetProject(string name, PagesStore store, CloudflareState state, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenAsync(cancellationToken);
        return CloudflareResults.Ok(await ProjectViewAsync(connection, await RequireProjectAsync(connection, name, cancellationToken), state, cancellationToken));
    }

    private static async Task<IResult> DeleteProject(string name, PagesStore store, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenAsync(cancellationToken);
        return await PagesStore.DeleteProjectAsync(connection, name, cancellationToken) ? CloudflareResults.Ok(null) : throw ProjectMissing();
    }

    private static async Task<IResult> ListDomains(string name, PagesStore store, CloudflareState state, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenAsync(cancellationToken);
        await RequireProjectAsync(connection, name, cancellationToken);
        var domains = await PagesStore.DomainsAsync(connection, name, cancellationToken);
        var paging = new CloudflarePaging(1, Math.Max(1, domains.Count));
        return CloudflareResults.Page(domains.Select(d => DomainView(d, state)).ToArray(), paging, domains.Count);
    }

    private static async Task<IResult> AddDomain(string name, HttpRequest request, PagesStore store, CloudflareState state, CancellationToken cancellationToken)
    {
        var body = await CloudflareRequestBody.ReadObjectAsync(request, cancellationToken);
        CloudflareRequestBody.OnlyAllow(body, "name");
        var domain = CloudflareRequestBody.RequiredString(body, "name").ToLowerInvariant();
        if (domain.Length > 253 || !domain.Contains('.', StringComparison.Ordinal) || domain.Split('.').Any(l => l.Length is 0 or > 63
            || l[0] == '-' || l[^1] == '-' || !l.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')))
        {
            throw CloudflareException.BadRequest("The domain name is not valid.", InvalidRequest);
        }

        await using var connection = await store.OpenAsync(cancellationToken);
        await RequireProjectAsync(connection, name, cancellationToken);
        var row = new PagesDomainRow(CloudflareState.NewUuid(), name, domain, state.Now.ToUnixTimeMilliseconds(), state.NowText());
        if (!await PagesStore.InsertDomainAsync(connection, row, cancellationToken))
        {
            throw CloudflareException.Conflict(DomainTaken, "This domain is already attached to a Pages project.");
        }

        return CloudflareResults.Ok(DomainView(row, state));
    }

    private static async Task<IResult> GetDomain(string name, string domain, PagesStore store, CloudflareState state, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenAsync(cancellationToken);
        await RequireProjectAsync(connection, name, cancellationToken);
        var found = (await PagesStore.DomainsAsync(connection, name, cancellationToken))
            .FirstOrDefault(d => string.Equals(d.Name, domain, StringComparison.OrdinalIgnoreCase)) ?? throw DomainMissing();
        return CloudflareResults.Ok(DomainView(found, state));
    }

    private static async Task<IResult> DeleteDomain(string name, string domain, PagesStore store, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenAsync(cancellationToken);
        await RequireProjectAsync(connection, name, cancellationToken);
        return await PagesStore.DeleteDomainAsync(connection, name, domain.ToLowerInvariant(), cancellationToken)
            ? CloudflareResults.Ok(null)
            : throw DomainMissing();
    }

    private static async Task<IResult> ListDeployments(string name, HttpRequest request, PagesStore store, CloudflareState state, CancellationToken cancellationToken)
    {
        var paging = CloudflarePaging.Read(request, 25, 100);
        var env = request.Query["env"].ToString() switch
        {
            "" => null,
            "production" => "production",
            "preview" => "preview",
            _ => throw CloudflareException.BadRequest("env must be production or preview.", InvalidRequest),
        };
        await using var connection = await store.OpenAsync(cancellationToken);
        var project = await RequireProjectAsync(connection, name, cancellationToken);
        var (rows, total) = await PagesStore.DeploymentsAsync(connection, name, env, paging.PerPage, paging.Offset, cancellationToken);
        return CloudflareResults.Page(rows.Select(r => DeploymentView(r, project, state)).ToArray(), paging, total);
    }

    private static async Task<IResult> CreateDeployment(string name, HttpRequest request, PagesStore store, CloudflareState state, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType)
        {
            throw CloudflareException.BadRequest("A deployment is created from multipart/form-data (manifest, branch, commit_hash, commit_message).", InvalidRequest);
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(cancellationToken);
        }
        catch (InvalidDataException e)
        {
            throw CloudflareException.BadRequest($"Malformed multipart body: {e.Message}", InvalidRequest);
        }

        var manifestText = form["manifest"].ToString();
        try
        {
            if (manifestText.Length == 0 || JsonNode.Parse(manifestText) is not JsonObject manifest
                || manifest.Any(p => p.Value is not JsonValue v || !v.TryGetValue<string>(out _)))
            {
                throw CloudflareException.BadRequest("manifest must be a JSON object of path → file hash.", InvalidRequest);
            }
        }
        catch (System.Text.Json.JsonException)
        {
            throw CloudflareException.BadRequest("manifest must be JSON.", InvalidRequest);
        }

        await using var connection = await store.OpenAsync(cancellationToken);
        var project = await RequireProjectAsync(connection, name, cancellationToken);
        var branch = form["branch"].ToString() is { Length: > 0 } b ? b : project.ProductionBranch;
        var row = await NewDeploymentAsync(connection, project, branch, NullIfEmpty(form["commit_hash"]), NullIfEmpty(form["commit_message"]), "ad_hoc", state, cancellationToken);
        return CloudflareResults.Ok(DeploymentView(row, project, state));
    }

    private static async Task<IResult> GetDeployment(string name, string id, PagesStore store, CloudflareState state, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenAsync(cancellationToken);
        var project = await RequireProjectAsync(connection, name, cancellationToken);
        var row = await PagesStore.GetDeploymentAsync(connection, name, id, cancellationToken) ?? throw DeploymentMissing();
        return CloudflareResults.Ok(DeploymentView(row, project, state));
    }

    private static async Task<IResult> RetryDeployment(string name, string id, PagesStore store, CloudflareState state, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenAsync(cancellationToken);
        var project = await RequireProjectAsync(connection, name, cancellationToken);
        var source = await PagesStore.GetDeploymentAsync(connection, name, id, cancellationToken) ?? throw DeploymentMissing();
        var row = await NewDeploymentAsync(connection, project, source.Branch, source.CommitHash, source.CommitMessage, source.TriggerType, state, cancellationToken);
        return CloudflareResults.Ok(DeploymentView(row, project, state));
    }

    private static async Task<IResult> RollbackDeployment(string name, string id, PagesStore store, CloudflareState state, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenAsync(cancellationToken);
        var project = await RequireProjectAsync(connection, name, cancellationToken);
        var target = await PagesStore.GetDeploymentAsync(connection, name, id, cancellationToken) ?? throw DeploymentMissing();
        if (target.Environment != "production" || Status(target, state.Now.ToUnixTimeMilliseconds()) != "success")
        {
            throw CloudflareException.BadRequest("You can only roll back to a successful production deployment.", RollbackRefused);
        }

        // A rollback reuses the built assets: nothing to build, so it is live at once.
        var row = new PagesDeploymentRow(CloudflareState.NewUuid(), ShortId(), name, "production", target.Branch, target.CommitHash, target.CommitMessage,
            state.Now.ToUnixTimeMilliseconds(), 0, false, "ad_hoc");
        await PagesStore.InsertDeploymentAsync(connection, row, cancellationToken);
        return CloudflareResults.Ok(DeploymentView(row, project, state));
    }

    private static async Task<PagesDeploymentRow> NewDeploymentAsync(SqliteConnection connection, PagesProjectRow project, string branch, string? hash, string? message,
        string trigger, CloudflareState state, CancellationToken cancellationToken)
    {
        var row = new PagesDeploymentRow(CloudflareState.NewUuid(), ShortId(), project.Name, branch == project.ProductionBranch ? "production" : "preview",
            branch, hash, message, state.Now.ToUnixTimeMilliseconds(), state.Faults.PagesBuildSeconds, state.Faults.Roll(f => f.PagesBuildFailureRate), trigger);
        await PagesStore.InsertDeploymentAsync(connection, row, cancellationToken);
        return row;
    }

    private static async Task<JsonObject> ProjectViewAsync(SqliteConnection connection, PagesProjectRow row, CloudflareState state, CancellationToken cancellationToken)
    {
        var domains = await PagesStore.DomainsAsync(connection, row.Name, cancellationToken);
        var latestRows = (await PagesStore.DeploymentsAsync(connection, row.Name, null, 1, 0, cancellationToken)).Items;
        var canonicalRows = (await PagesStore.DeploymentsAsync(connection, row.Name, "production", 1, 0, cancellationToken)).Items;
        var latest = latestRows.Count > 0 ? latestRows[0] : null;
        var canonical = canonicalRows.Count > 0 ? canonicalRows[0] : null;
        return new JsonObject
        {
            ["id"] = row.Id,
            ["name"] = row.Name,
            ["subdomain"] = $"{row.Name}.pages.dev",
            ["domains"] = new JsonArray(domains.Select(d => (JsonNode?)d.Name).ToArray()),
            ["production_branch"] = row.ProductionBranch,
            ["source"] = null,
            ["build_config"] = new JsonObject
            {
                ["build_command"] = null, ["destination_dir"] = null, ["root_dir"] = null, ["web_analytics_tag"] = null, ["web_analytics_token"] = null,
            },
            ["deployment_configs"] = PublicConfigs(JsonNode.Parse(row.DeploymentConfigs)!.AsObject()),
            ["latest_deployment"] = latest is null ? null : DeploymentView(latest, row, state),
            ["canonical_deployment"] = canonical is null ? null : DeploymentView(canonical, row, state),
            ["created_on"] = row.CreatedOn,
        };
    }

    /// <summary>
    /// Stores <c>env_vars</c> as <c>{type, value}</c> whether the caller sent <c>"NAME": "value"</c> or the API's
    /// <c>"NAME": {type, value}</c> form; both environments are always present.
    /// </summary>
    private static JsonObject NormalizeConfigs(JsonObject? configs)
    {
        var result = new JsonObject();
        foreach (var environment in new[] { "production", "preview" })
        {
            var source = configs?[environment];
            if (source is not null and not JsonObject)
            {
                throw CloudflareException.BadRequest($"deployment_configs.{environment} must be an object.", InvalidRequest);
            }

            var copy = (JsonObject?)source?.DeepClone() ?? [];
            var vars = new JsonObject();
            if (copy["env_vars"] is JsonObject given)
            {
                foreach (var (name, value) in given)
                {
                    vars[name] = value switch
                    {
                        JsonValue v when v.TryGetValue<string>(out var text) => new JsonObject { ["type"] = "plain_text", ["value"] = text },
                        JsonObject o when o["value"] is JsonValue ov && ov.TryGetValue<string>(out var text)
                            && (o["type"]?.GetValue<string>() ?? "plain_text") is "plain_text" or "secret_text" =>
                            new JsonObject { ["type"] = o["type"]?.GetValue<string>() ?? "plain_text", ["value"] = text },
                        _ => throw CloudflareException.BadRequest($"env_vars.{name} must be a string or {{type, value}}.", InvalidRequest),
                    };
                }
            }
            else if (copy["env_vars"] is not null)
            {
                throw CloudflareException.BadRequest("env_vars must be an object.", InvalidRequest);
            }

            copy["env_vars"] = vars;
            result[environment] = copy;
        }

        return result;
    }

    // Secret values are never read back, as on Cloudflare.
    private static JsonObject PublicConfigs(JsonObject stored)
    {
        foreach (var (_, environment) in stored)
        {
            if (environment?["env_vars"] is JsonObject vars)
            {
                foreach (var (_, value) in vars)
                {
                    if (value is JsonObject o && o["type"]?.GetValue<string>() == "secret_text")
                    {
                        o.Remove("value");
                    }
                }
            }
        }

        return stored;
    }

    private static JsonObject DomainView(PagesDomainRow row, CloudflareState state)
    {
        var active = state.Now.ToUnixTimeMilliseconds() >= row.CreatedMs + (state.Faults.SslActivationDelaySeconds * 1000L);
        var status = active ? "active" : "pending";
        return new JsonObject
        {
            ["id"] = row.Id,
            ["name"] = row.Name,
            ["status"] = status,
            ["verification_data"] = new JsonObject { ["status"] = status },
            ["validation_data"] = new JsonObject { ["status"] = status, ["method"] = "http" },
            ["zone_tag"] = state.ZoneId,
            ["created_on"] = row.CreatedOn,
        };
    }

    /// <summary>
    /// The five stages each take a fifth of the deployment's build time; a failing deployment fails at the end of
    /// <c>build</c> and never deploys.
    /// </summary>
    private static JsonObject DeploymentView(PagesDeploymentRow row, PagesProjectRow project, CloudflareState state)
    {
        var now = state.Now.ToUnixTimeMilliseconds();
        var step = row.BuildSeconds * 1000L / Stages.Length;
        var stages = new JsonArray();
        JsonObject? latest = null;
        for (var i = 0; i < Stages.Length; i++)
        {
            var start = row.CreatedMs + (i * step);
            var end = i == Stages.Length - 1 ? row.CreatedMs + (row.BuildSeconds * 1000L) : start + step;
            var failedEarlier = row.Fails && i > 3;
            var status = failedEarlier ? "idle"
                : now >= end ? (row.Fails && i == 3 ? "failure" : "success")
                : now >= start ? "active"
                : "idle";
            var stage = new JsonObject
            {
                ["name"] = Stages[i],
                ["started_on"] = status == "idle" ? null : Timestamp(start),
                ["ended_on"] = status is "success" or "failure" ? Timestamp(end) : null,
                ["status"] = status,
            };
            stages.Add(stage);
            if (status != "idle")
            {
                latest = (JsonObject)stage.DeepClone();
            }
        }

        latest ??= new JsonObject { ["name"] = "queued", ["started_on"] = Timestamp(row.CreatedMs), ["ended_on"] = null, ["status"] = "active" };
        return new JsonObject
        {
            ["id"] = row.Id,
            ["short_id"] = row.ShortId,
            ["project_id"] = project.Id,
            ["project_name"] = project.Name,
            ["environment"] = row.Environment,
            ["url"] = $"https://{row.ShortId}.{project.Name}.pages.dev",
            ["created_on"] = Timestamp(row.CreatedMs),
            ["modified_on"] = latest["ended_on"]?.DeepClone() ?? latest["started_on"]?.DeepClone(),
            ["aliases"] = row.Environment == "production" ? new JsonArray($"https://{project.Name}.pages.dev") : new JsonArray(),
            ["latest_stage"] = latest,
            ["stages"] = stages,
            ["deployment_trigger"] = new JsonObject
            {
                ["type"] = row.TriggerType,
                ["metadata"] = new JsonObject
                {
                    ["branch"] = row.Branch,
                    ["commit_hash"] = row.CommitHash,
                    ["commit_message"] = row.CommitMessage,
                    ["commit_dirty"] = false,
                },
            },
            ["build_config"] = new JsonObject { ["build_command"] = null, ["destination_dir"] = null, ["root_dir"] = null },
            ["source"] = null,
            ["is_skipped"] = false,
        };
    }

    private static string Status(PagesDeploymentRow row, long now) =>
        row.Fails ? (now >= row.CreatedMs + (row.BuildSeconds * 1000L / Stages.Length * 4) ? "failure" : "active")
        : now >= row.CreatedMs + (row.BuildSeconds * 1000L) ? "success" : "active";

    private static string Timestamp(long ms) => CloudflareJson.Timestamp(DateTimeOffset.FromUnixTimeMilliseconds(ms));

    private static string ShortId() => CloudflareState.NewId()[..8];

    private static string? NullIfEmpty(Microsoft.Extensions.Primitives.StringValues value) => value.ToString() is { Length: > 0 } s ? s : null;

    private static async Task<PagesProjectRow> RequireProjectAsync(SqliteConnection connection, string name, CancellationToken cancellationToken) =>
        await PagesStore.GetProjectAsync(connection, name, cancellationToken) ?? throw ProjectMissing();

    private static CloudflareException ProjectMissing() => CloudflareException.NotFound(ProjectNotFound, "Project not found. The specified project name does not match any of your existing projects.");

    private static CloudflareException DeploymentMissing() => CloudflareException.NotFound(DeploymentNotFound, "Deployment not found.");

    private static CloudflareException DomainMissing() => CloudflareException.NotFound(DomainNotFound, "Domain not found.");
}
