using System.Reflection;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Core.Json;
using Nno.ServiceDefaults.Health;
using Nno.StackRegistry.Data;
using Nno.StackRegistry.Definitions;
using Nno.StackRegistry.Templates;
using Nno.StackRegistry.Versions;

namespace Nno.StackRegistry.Seeds;

/// <summary>Seed settings (section <c>StackRegistry:Seed</c>).</summary>
internal sealed class SeedOptions
{
    public const string Section = "StackRegistry:Seed";

    /// <summary>Apply the seed catalogue at every start (stack-registry.md §4.4).</summary>
    public bool Enabled { get; set; } = true;
}

/// <summary>One seed template and its versions, as shipped in the assembly.</summary>
internal sealed record SeedTemplate(CreateTemplateRequest Template, IReadOnlyList<SeedVersion> Versions);

/// <summary>One seed version: the StackDefinition file <c>Seeds/{name}/{version}.json</c>.</summary>
internal sealed record SeedVersion(string Version, JsonElement Definition);

/// <summary>Whether the seed catalogue has been applied in this process (readiness <c>seeds</c>).</summary>
internal sealed class SeedState
{
    private volatile bool _applied;

    public bool Applied => _applied;

    public void MarkApplied() => _applied = true;
}

/// <summary>
/// The seed catalogue (stack-registry.md §4.4): embedded resources <c>Seeds/{name}/template.json</c> and
/// <c>Seeds/{name}/{version}.json</c>, applied at every start after migrations. A template is inserted when its name is
/// absent and each version published when absent (actor <c>system:seed</c>), through the same validation and
/// transaction as the API. Nothing that exists is edited, re-activated or deprecated, so operator changes survive.
/// </summary>
internal static partial class SeedCatalogue
{
    public const string Actor = "system:seed";

    private const string Prefix = "Seeds/";

    /// <summary>Every seed in the assembly, by template name.</summary>
    public static IReadOnlyList<SeedTemplate> Load()
    {
        var assembly = typeof(SeedCatalogue).Assembly;
        var byName = new SortedDictionary<string, (CreateTemplateRequest? Template, List<SeedVersion> Versions)>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith(Prefix, StringComparison.Ordinal) && r.EndsWith(".json", StringComparison.Ordinal)))
        {
            var parts = resource[Prefix.Length..^".json".Length].Split('/');
            if (parts.Length != 2)
            {
                throw new InvalidOperationException($"Seed resource '{resource}' is not Seeds/{{name}}/{{file}}.json.");
            }

            var entry = byName.TryGetValue(parts[0], out var existing) ? existing : (null, []);
            var text = Read(assembly, resource);
            if (parts[1] == "template")
            {
                entry.Template = JsonSerializer.Deserialize<CreateTemplateRequest>(text, NnoJson.Options);
            }
            else
            {
                using var document = JsonDocument.Parse(text);
                entry.Versions.Add(new SeedVersion(parts[1], document.RootElement.Clone()));
            }

            byName[parts[0]] = entry;
        }

        return [.. byName.Select(e => new SeedTemplate(
            e.Value.Template ?? throw new InvalidOperationException($"Seed '{e.Key}' has no template.json."),
            [.. e.Value.Versions.OrderByDescending(v => SemanticVersions.ParseStored(v.Version), SemanticVersions.Descending)]))];
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource) ?? throw new InvalidOperationException($"Missing seed resource '{resource}'.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Applies every seed; returns how many templates and versions it added.</summary>
    public static async Task<(int Templates, int Versions)> ApplyAsync(IServiceProvider services, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        var db = services.GetRequiredService<MarketplaceDbContext>();
        var templates = services.GetRequiredService<TemplateCatalogue>();
        var versions = services.GetRequiredService<VersionCatalogue>();
        var (addedTemplates, addedVersions) = (0, 0);
        foreach (var seed in Load())
        {
            var t = seed.Template;
            var template = await db.Templates.AsNoTracking().FirstOrDefaultAsync(x => x.Name == t.Name, cancellationToken);
            if (template is null)
            {
                template = await templates.InsertAsync(t.Name, t.DisplayName, t.Description, t.Icon, t.Domain, Actor, cancellationToken)
                    ?? await db.Templates.AsNoTracking().FirstAsync(x => x.Name == t.Name, cancellationToken);
                addedTemplates += template.CreatedBy == Actor ? 1 : 0;
            }

            foreach (var seedVersion in seed.Versions)
            {
                var existing = await db.Versions.AsNoTracking()
                    .Where(v => v.TemplateId == template.Id && v.Version == seedVersion.Version)
                    .Select(v => new { v.DefinitionSha256 })
                    .FirstOrDefaultAsync(cancellationToken);
                var (parsed, definition, _) = VersionCatalogue.ValidatePublish(t.Name, new PublishVersionRequest(seedVersion.Version, seedVersion.Definition));
                if (existing is not null)
                {
                    if (existing.DefinitionSha256 != definition.Sha256)
                    {
                        LogSeedVersionDiffers(logger, t.Name, seedVersion.Version);
                    }

                    continue;
                }

                var current = await db.Templates.AsNoTracking().Where(x => x.Id == template.Id).Select(x => x.Status).FirstAsync(cancellationToken);
                if (current == CatalogueStatuses.Deprecated)
                {
                    // An operator retired the template; a seed never publishes into it (the API would refuse too).
                    LogSeedTemplateDeprecated(logger, t.Name, seedVersion.Version);
                    continue;
                }

                var outcome = await versions.PublishValidatedAsync(t.Name, parsed, definition, null, Actor, cancellationToken);
                addedVersions += outcome.Created ? 1 : 0;
            }
        }

        return (addedTemplates, addedVersions);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Seed version {Template}@{Version} exists with different content; left as it is")]
    private static partial void LogSeedVersionDiffers(ILogger logger, string template, string version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Seed version {Template}@{Version} not published: the template is deprecated")]
    private static partial void LogSeedTemplateDeprecated(ILogger logger, string template, string version);
}

/// <summary>Applies the seed catalogue at start, after the database migration (hosted services start in registration order).</summary>
internal sealed partial class SeedCatalogueAtStart(IServiceScopeFactory scopes, IOptions<SeedOptions> options, SeedState state, ILogger<SeedCatalogueAtStart> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
        {
            state.MarkApplied();
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var (templates, versions) = await SeedCatalogue.ApplyAsync(scope.ServiceProvider, logger, cancellationToken);
        if (templates + versions > 0)
        {
            LogSeeded(logger, templates, versions);
        }

        state.MarkApplied();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Seed catalogue applied: {Templates} template(s) and {Versions} version(s) added")]
    private static partial void LogSeeded(ILogger logger, int templates, int versions);
}

/// <summary>Readiness <c>seeds</c>: the seed catalogue has been applied (or seeding is disabled).</summary>
internal sealed class SeedsReadyCheck(SeedState state) : IHealthCheck
{
    public const string Name = "seeds";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.Applied ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("The seed catalogue has not been applied yet."));
}

internal static class SeedCatalogueRegistration
{
    public static IServiceCollection AddSeedCatalogue(this IServiceCollection services)
    {
        services.AddOptions<SeedOptions>().BindConfiguration(SeedOptions.Section);
        services.AddSingleton<SeedState>();
        services.AddHostedService<SeedCatalogueAtStart>();
        services.AddHealthChecks().AddCheck<SeedsReadyCheck>(SeedsReadyCheck.Name, HealthStatus.Unhealthy, [HealthEndpoints.ReadyTag]);
        return services;
    }
}
