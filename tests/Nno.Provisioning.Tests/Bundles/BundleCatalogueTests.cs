using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Nno.Provisioning.Bundles;
using Nno.StackRegistry;

namespace Nno.Provisioning.Tests.Bundles;

public sealed partial class BundleCatalogueTests
{
    private static readonly BundleCatalogue Catalogue = BundleCatalogue.Embedded;

    /// <summary>Every feature reference of every seed template version, read from the Stack Registry's embedded seeds.</summary>
    private static List<(string Template, string Id, string Version, bool Service)> SeedFeatures()
    {
        var assembly = typeof(StackRegistryService).Assembly;
        var refs = new List<(string, string, string, bool)>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("Seeds/", StringComparison.Ordinal) && !n.EndsWith("/template.json", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var document = JsonDocument.Parse(stream);
            foreach (var feature in document.RootElement.GetProperty("features").EnumerateArray())
            {
                refs.Add((resource,
                    feature.GetProperty("id").GetString()!,
                    feature.GetProperty("version").GetString()!,
                    feature.TryGetProperty("service", out var service) && service.GetBoolean()));
            }
        }

        return refs;
    }

    [Fact]
    public void EverySeedFeature_HasABundle_AndEveryServiceOneAWorker()
    {
        var refs = SeedFeatures();
        Assert.True(refs.Count >= 10, "the seed catalogue should be read");

        foreach (var (template, id, version, service) in refs)
        {
            var bundle = Catalogue.FindFeature(id, version);
            Assert.True(bundle is not null, $"{template}: no bundle for {id} {version}");
            if (service)
            {
                Assert.True(bundle!.Manifest.Service, $"{template}: {id} {version} is a service in the template but not in its manifest");
                Assert.True(bundle.WorkerScript is { Length: > 0 }, $"{template}: {id} {version} ships no worker.js");
            }
        }
    }

    [Fact]
    public void TheTenSeedFeatures_AreAllPresent()
    {
        string[] expected = ["team", "billing", "settings", "notifications", "analytics", "reports", "dashboards", "contacts", "deals", "activities"];

        Assert.Equal(expected.Order(StringComparer.Ordinal), SeedFeatures().Select(f => f.Id).Distinct().Order(StringComparer.Ordinal));
        Assert.All(expected, id => Assert.NotNull(Catalogue.FindFeature(id, "1.0.0")));
    }

    [Fact]
    public void AnUnknownFeatureOrVersion_IsTypedNotFound()
    {
        var error = Assert.Throws<FeatureBundleNotFoundException>(() => Catalogue.GetFeature("team", "9.9.9"));

        Assert.Equal("FEATURE_BUNDLE_NOT_FOUND", FeatureBundleNotFoundException.ErrorCode);
        Assert.Equal("team", error.FeatureId);
        Assert.Equal("9.9.9", error.Version);
        Assert.Throws<FeatureBundleNotFoundException>(() => Catalogue.GetManifest("nope", "1.0.0"));
    }

    [Fact]
    public void Manifests_NameThePackageAndResources()
    {
        var team = Catalogue.GetManifest("team", "1.0.0");
        var notifications = Catalogue.GetManifest("notifications", "1.0.0");

        Assert.Equal("@neutrino-io/feature-team", team.Package);
        Assert.True(team.Service);
        Assert.True(team.Resources.D1);
        Assert.True(notifications.Resources.Queue);
        Assert.False(Catalogue.GetManifest("settings", "1.0.0").Service);
    }

    [Fact]
    public void FeatureMigrations_CreateOnlyPrefixedTables_AndTeardownDropsExactlyThem()
    {
        foreach (var bundle in Catalogue.Features)
        {
            Assert.NotEmpty(bundle.Migrations);
            var created = bundle.Migrations.SelectMany(m => CreateTable().Matches(m.Sql).Select(x => x.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);
            var indexes = bundle.Migrations.SelectMany(m => CreateIndex().Matches(m.Sql).Select(x => x.Groups[1].Value)).ToList();
            var dropped = DropTable().Matches(bundle.Teardown).Select(x => x.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

            Assert.NotEmpty(created);
            Assert.All(created, t => Assert.StartsWith(bundle.TablePrefix, t, StringComparison.Ordinal));
            Assert.All(indexes, i => Assert.StartsWith(bundle.TablePrefix, i, StringComparison.Ordinal));
            Assert.Equal(created.Order(StringComparer.Ordinal), dropped.Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void ServiceWorkers_AreEsModulesAnsweringHealthWithTheirBindings()
    {
        foreach (var bundle in Catalogue.Features.Where(b => b.Manifest.Service))
        {
            var script = Encoding.UTF8.GetString(bundle.WorkerScript!.Value.Span);
            Assert.Contains("export default", script, StringComparison.Ordinal);
            Assert.Contains("\"/health\"", script, StringComparison.Ordinal);
            Assert.Contains($"const FEATURE_ID = \"{bundle.FeatureId}\"", script, StringComparison.Ordinal);
            Assert.Contains("Object.keys(env)", script, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TheAuthBundle_ShipsTwoWorkerVersions_NewestByDefault_AndFourOrderedMigrations()
    {
        var auth = Catalogue.AuthWorker;

        Assert.Equal("1.1.0", auth.Version);
        Assert.Same(auth, Catalogue.AuthWorkerFor(null));
        Assert.Same(auth, Catalogue.AuthWorkerFor(""));
        var previous = Catalogue.FindAuthWorker("1.0.0");
        Assert.NotNull(previous);
        Assert.Same(previous, Catalogue.AuthWorkerFor("1.0.0"));
        Assert.Equal("auth", Assert.Throws<FeatureBundleNotFoundException>(() => Catalogue.AuthWorkerFor("9.9.9")).FeatureId);
        foreach (var bundle in new[] { previous, auth })
        {
            var script = Encoding.UTF8.GetString(bundle.Script.Span);
            Assert.Equal("2025-01-01", bundle.CompatibilityDate);
            Assert.Contains("\"/health\"", script, StringComparison.Ordinal);
            Assert.Contains($"const VERSION = \"{bundle.Version}\";", script, StringComparison.Ordinal);
        }

        // 1.1.0's /health also reports the auth database; it reads the migrations table and needs no new migration.
        Assert.DoesNotContain("database", Encoding.UTF8.GetString(previous.Script.Span), StringComparison.Ordinal);
        Assert.Contains("FROM _nno_migrations", Encoding.UTF8.GetString(auth.Script.Span), StringComparison.Ordinal);
        Assert.Equal(
            ["0001_auth_core.sql", "0002_organizations.sql", "0003_nno_permissions.sql", "0004_platform_config.sql"],
            Catalogue.AuthMigrations.Select(m => m.Name));
        var tables = Catalogue.AuthMigrations.SelectMany(m => CreateTable().Matches(m.Sql).Select(x => x.Groups[1].Value.Trim('"'))).ToList();
        Assert.Equal(["user", "session", "account", "verification", "organization", "member", "invitation", "nno_role_permissions", "nno_permission_grants", "nno_platform_config"], tables);
    }

    [Fact]
    public void Checksums_AreTheSha256OfTheShippedBytes()
    {
        foreach (var migration in Catalogue.AuthMigrations.Concat(Catalogue.Features.SelectMany(f => f.Migrations)))
        {
            Assert.Matches("^[0-9a-f]{64}$", migration.Checksum);
            Assert.Equal(BundleCatalogue.Checksum(Encoding.UTF8.GetBytes(migration.Sql)), migration.Checksum);
        }
    }

    [Fact]
    public void TablePrefix_ReplacesHyphens()
    {
        Assert.Equal("user_profiles_", FeatureBundle.TablePrefixOf("user-profiles"));
        Assert.Equal("team:", Catalogue.GetFeature("team", "1.0.0").KeyPrefix);
    }

    [GeneratedRegex(@"CREATE TABLE IF NOT EXISTS (""?[a-z_]+""?)", RegexOptions.CultureInvariant)]
    private static partial Regex CreateTable();

    [GeneratedRegex(@"CREATE INDEX IF NOT EXISTS ([a-z_]+)", RegexOptions.CultureInvariant)]
    private static partial Regex CreateIndex();

    [GeneratedRegex(@"DROP TABLE IF EXISTS ([a-z_]+)", RegexOptions.CultureInvariant)]
    private static partial Regex DropTable();
}
