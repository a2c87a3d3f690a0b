using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nno.Provisioning.Bundles;

/// <summary>What a feature bundle needs from its stack (<c>resources</c> of the manifest).</summary>
public sealed record FeatureResources(bool D1, bool R2, bool Kv, bool Queue);

/// <summary>A feature bundle's <c>manifest.json</c> (provisioning.md §4.2): the package the shell installs, whether it runs a Worker, its resources.</summary>
public sealed record FeatureManifest(string Id, string Version, string Package, bool Service, FeatureResources Resources);

/// <summary>One shipped SQL file: its name (<c>0001_init.sql</c>), text and lower-case hex SHA-256 of its bytes.</summary>
public sealed record BundleMigration(string Name, string Sql, string Checksum);

/// <summary>A feature bundle: manifest, Worker script (service features), ordered migrations and teardown SQL.</summary>
public sealed record FeatureBundle(FeatureManifest Manifest, ReadOnlyMemory<byte>? WorkerScript, string CompatibilityDate, IReadOnlyList<BundleMigration> Migrations, string Teardown)
{
    /// <summary>The feature id.</summary>
    public string FeatureId => Manifest.Id;

    /// <summary>The bundle version.</summary>
    public string Version => Manifest.Version;

    /// <summary>Prefix of the feature's tables: the id with <c>-</c> → <c>_</c>, then <c>_</c> (provisioning.md §4.2).</summary>
    public string TablePrefix => TablePrefixOf(FeatureId);

    /// <summary>Prefix of the feature's KV keys and R2 objects: <c>{fid}:</c> and <c>{fid}/</c>.</summary>
    public string KeyPrefix => FeatureId + ":";

    /// <summary>Prefix of the feature's R2 object keys.</summary>
    public string ObjectPrefix => FeatureId + "/";

    /// <summary><c>{fid with - → _}_</c>.</summary>
    public static string TablePrefixOf(string featureId)
    {
        ArgumentException.ThrowIfNullOrEmpty(featureId);
        return featureId.Replace('-', '_') + "_";
    }
}

/// <summary>A version of the platform auth Worker: <c>auth-worker/{version}/index.js</c> and its compatibility date.</summary>
public sealed record AuthWorkerBundle(string Version, string CompatibilityDate, ReadOnlyMemory<byte> Script);

/// <summary>No bundle ships for this feature and version: the job fails with <c>FEATURE_BUNDLE_NOT_FOUND</c> (permanent).</summary>
public sealed class FeatureBundleNotFoundException(string featureId, string version)
    : Exception($"No bundle ships for feature \"{featureId}\" version \"{version}\".")
{
    /// <summary>The job error code this maps to.</summary>
    public const string ErrorCode = "FEATURE_BUNDLE_NOT_FOUND";

    public string FeatureId { get; } = featureId;

    public string Version { get; } = version;
}

/// <summary>
/// The bundles shipped with NNO (provisioning.md §4.7), embedded in this assembly under <c>Bundles/</c>:
/// <c>auth-worker/{version}/index.js</c> + <c>bundle.json</c>, <c>auth-migrations/*.sql</c>, and per feature
/// <c>{fid}/{version}/manifest.json</c>, <c>worker.js</c>, <c>migrations/*.sql</c>, <c>teardown.sql</c>. Only these
/// files ever reach Cloudflare as script or SQL text.
/// </summary>
public sealed class BundleCatalogue
{
    private const string Prefix = "Bundles/";
    private const string AuthWorkerDir = "auth-worker";
    private const string AuthMigrationsDir = "auth-migrations";

    private static readonly Lazy<BundleCatalogue> EmbeddedCatalogue = new(() => Load(typeof(BundleCatalogue).Assembly));

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    private readonly Dictionary<(string Id, string Version), FeatureBundle> _features;
    private readonly Dictionary<string, AuthWorkerBundle> _authWorkers;

    private BundleCatalogue(Dictionary<(string, string), FeatureBundle> features, Dictionary<string, AuthWorkerBundle> authWorkers, IReadOnlyList<BundleMigration> authMigrations)
    {
        _features = features;
        _authWorkers = authWorkers;
        AuthMigrations = authMigrations;
        AuthWorker = authWorkers.Values.MaxBy(b => ParseVersion(b.Version))
            ?? throw new InvalidOperationException("The bundle catalogue ships no auth Worker.");
    }

    /// <summary>The catalogue embedded in this assembly (read once).</summary>
    public static BundleCatalogue Embedded => EmbeddedCatalogue.Value;

    /// <summary>The current auth Worker bundle (highest version).</summary>
    public AuthWorkerBundle AuthWorker { get; }

    /// <summary>The auth database migrations in order (<c>0001_auth_core.sql</c> …).</summary>
    public IReadOnlyList<BundleMigration> AuthMigrations { get; }

    /// <summary>Every feature bundle.</summary>
    public IReadOnlyCollection<FeatureBundle> Features => _features.Values;

    /// <summary>
    /// The auth Worker to deploy: <paramref name="pinned"/> when given (an operator's pin), else the newest shipped.
    /// Throws <see cref="FeatureBundleNotFoundException"/> when the pinned version is not shipped.
    /// </summary>
    public AuthWorkerBundle AuthWorkerFor(string? pinned) =>
        string.IsNullOrEmpty(pinned) ? AuthWorker : FindAuthWorker(pinned) ?? throw new FeatureBundleNotFoundException("auth", pinned);

    /// <summary>An auth Worker version (a redeploy's undo re-uploads the previous one); null when not shipped.</summary>
    public AuthWorkerBundle? FindAuthWorker(string version) => _authWorkers.GetValueOrDefault(version);

    /// <summary>The bundle of <paramref name="featureId"/> at exactly <paramref name="version"/>, or null.</summary>
    public FeatureBundle? FindFeature(string featureId, string version) => _features.GetValueOrDefault((featureId, version));

    /// <summary>The bundle of <paramref name="featureId"/> at exactly <paramref name="version"/>; throws <see cref="FeatureBundleNotFoundException"/>.</summary>
    public FeatureBundle GetFeature(string featureId, string version) =>
        FindFeature(featureId, version) ?? throw new FeatureBundleNotFoundException(featureId, version);

    /// <summary>The manifest of a feature version; throws <see cref="FeatureBundleNotFoundException"/>.</summary>
    public FeatureManifest GetManifest(string featureId, string version) => GetFeature(featureId, version).Manifest;

    /// <summary>Lower-case hex SHA-256 of <paramref name="bytes"/>: the checksum recorded in <c>_nno_migrations</c>.</summary>
    public static string Checksum(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Reads every bundle embedded in <paramref name="assembly"/>; an inconsistent bundle is a build defect and throws.</summary>
    public static BundleCatalogue Load(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            files[name[Prefix.Length..]] = buffer.ToArray();
        }

        var authWorkers = new Dictionary<string, AuthWorkerBundle>(StringComparer.Ordinal);
        var features = new Dictionary<(string, string), FeatureBundle>();
        foreach (var (top, version) in files.Keys.Select(DirectoryOf).OfType<(string Top, string Version)>().Distinct())
        {
            if (top == AuthWorkerDir)
            {
                var meta = JsonSerializer.Deserialize<AuthBundleFile>(Require(files, $"{top}/{version}/bundle.json"), Json)
                    ?? throw new InvalidOperationException($"{top}/{version}/bundle.json is empty.");
                authWorkers[version] = new AuthWorkerBundle(version, RequireDate(meta.CompatibilityDate, top, version), Require(files, $"{top}/{version}/index.js"));
                continue;
            }

            var manifest = JsonSerializer.Deserialize<FeatureManifest>(Require(files, $"{top}/{version}/manifest.json"), Json)
                ?? throw new InvalidOperationException($"{top}/{version}/manifest.json is empty.");
            if (manifest.Id != top || manifest.Version != version || string.IsNullOrEmpty(manifest.Package) || manifest.Resources is null)
            {
                throw new InvalidOperationException($"{top}/{version}/manifest.json must name id \"{top}\", version \"{version}\", a package and resources.");
            }

            var worker = files.GetValueOrDefault($"{top}/{version}/worker.js");
            if (manifest.Service && worker is null)
            {
                throw new InvalidOperationException($"{top}/{version} is a service but ships no worker.js.");
            }

            var migrations = Migrations(files, $"{top}/{version}/migrations/");
            var teardown = Encoding.UTF8.GetString(Require(files, $"{top}/{version}/teardown.sql"));
            var compatibilityDate = files.TryGetValue($"{top}/{version}/bundle.json", out var bundleJson)
                ? RequireDate(JsonSerializer.Deserialize<AuthBundleFile>(bundleJson, Json)?.CompatibilityDate, top, version)
                : DefaultCompatibilityDate;
            // Not "worker is null ? null : worker": null itself converts to an empty ReadOnlyMemory through the array conversion.
            ReadOnlyMemory<byte>? script = worker is null ? default(ReadOnlyMemory<byte>?) : new ReadOnlyMemory<byte>(worker);
            features[(top, version)] = new FeatureBundle(manifest, script, compatibilityDate, migrations, teardown);
        }

        return new BundleCatalogue(features, authWorkers, Migrations(files, AuthMigrationsDir + "/"));
    }

    /// <summary>Compatibility date of feature Workers whose bundle names none.</summary>
    public const string DefaultCompatibilityDate = "2025-01-01";

    private static (string Top, string Version)? DirectoryOf(string path)
    {
        var parts = path.Split('/');
        return parts.Length >= 3 && parts[0] != AuthMigrationsDir ? (parts[0], parts[1]) : null;
    }

    private static List<BundleMigration> Migrations(Dictionary<string, byte[]> files, string dir) =>
        files.Where(f => f.Key.StartsWith(dir, StringComparison.Ordinal) && f.Key.EndsWith(".sql", StringComparison.Ordinal)
                         && f.Key.IndexOf('/', dir.Length) < 0)
            .OrderBy(f => f.Key, StringComparer.Ordinal)
            .Select(f => new BundleMigration(f.Key[dir.Length..], Encoding.UTF8.GetString(f.Value), Checksum(f.Value)))
            .ToList();

    private static byte[] Require(Dictionary<string, byte[]> files, string path) =>
        files.TryGetValue(path, out var bytes) ? bytes : throw new InvalidOperationException($"The bundle file {path} is missing.");

    private static string RequireDate(string? date, string top, string version) =>
        date is { Length: 10 } && DateOnly.TryParseExact(date, "yyyy-MM-dd", out _)
            ? date
            : throw new InvalidOperationException($"{top}/{version}/bundle.json needs compatibilityDate yyyy-MM-dd.");

    private static Version ParseVersion(string version) =>
        System.Version.TryParse(version.Split('-', '+')[0], out var parsed) ? parsed : new Version(0, 0);

    private sealed record AuthBundleFile(string? Version, string? CompatibilityDate);
}
