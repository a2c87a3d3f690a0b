using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Nno.Core.Features;
using Nno.Stacks.Versions;

namespace Nno.Stacks.Definitions;

/// <summary>A StackDefinition that passed validation: its canonical JSON, the SHA-256 of it and its feature count.</summary>
public sealed record CanonicalDefinition(string Json, string Sha256, int FeatureCount);

/// <summary>
/// Validates a StackDefinition (stack-registry.md §4.1) and re-serialises it canonically. Every problem is reported at
/// once in <c>details.fields</c>, keyed by path (<c>definition.features[2].id</c>). Stages run in the spec's order: JSON
/// shape (known fields, types, required fields) → field rules → cross-field rules (name/version match, permission
/// prefixes, dependency graph) → configSchema. A shape problem stops validation there (later rules cannot read a
/// definition of the wrong shape); the other stages all run, each skipping values an earlier stage already refused.
/// Pure (no database, no HTTP): the Stack Registry validates publishes with it, the Registry its Path B input and
/// Provisioning an inline P6 <c>definition</c>. A null template name or version skips the match with it (a custom
/// definition has no template to match).
/// </summary>
public static class StackDefinitionRules
{
    /// <summary>Largest definition, raw or canonical.</summary>
    public const int MaxBytes = 64 * 1024;

    public const int MaxFeatures = 50;
    public const int MaxPermissions = 200;
    public const int MaxDependsOn = 20;
    public const int MaxConfigBytes = 16 * 1024;
    public const int MaxPermissionKeyLength = 64;
    public const int MaxDepth = 32;

    private static readonly string[] TopLevel = ["schemaVersion", "name", "version", "displayName", "description", "features", "resources", "permissions", "configSchema"];
    private static readonly string[] FeatureFields = ["id", "version", "required", "service", "dependsOn", "config"];
    private static readonly string[] PermissionFields = ["key", "label", "description", "defaultRoles"];
    private static readonly string[] ResourceFields = ["d1", "r2", "kv"];
    private static readonly string[] Roles = ["owner", "admin", "member"];
    private static readonly string[] DefaultRoles = ["owner", "admin"];

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary>
    /// Validates <paramref name="definition"/> for template <paramref name="templateName"/> and version
    /// <paramref name="version"/>; throws a 400 with every problem, else returns the canonical form.
    /// </summary>
    public static CanonicalDefinition Validate(JsonElement definition, string? templateName, string? version, string path = "definition")
    {
        var problems = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var result = Check(definition, templateName, version, path, problems);
        return result ?? throw TextRules.ToException(problems);
    }

    /// <summary>Like <see cref="Validate"/> but collects problems into <paramref name="problems"/> and returns null when there are any.</summary>
    public static CanonicalDefinition? Check(JsonElement definition, string? templateName, string? version, string path, IDictionary<string, List<string>> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (definition.ValueKind != JsonValueKind.Object)
        {
            TextRules.Add(problems, path, "must be a JSON object");
            return null;
        }

        if (Encoding.UTF8.GetByteCount(definition.GetRawText()) > MaxBytes)
        {
            TextRules.Add(problems, path, "too large: at most 64 KiB");
            return null;
        }

        // The request reader allows 64 levels; NNO's wire rule is 32 (stack-registry.md §6), the body's own level included.
        if (Depth(definition, 1) > MaxDepth - 1)
        {
            TextRules.Add(problems, path, "nests too deeply: JSON deeper than 32 levels is refused");
            return null;
        }

        // 1. Shape.
        var shape = ReadShape(definition, path, problems);
        if (shape is null || problems.Count > 0)
        {
            return null;
        }

        // 2. Field rules.
        var features = new List<FeatureRef>();
        var permissions = new List<Permission>();
        ApplyFieldRules(shape, path, problems, features, permissions);

        // 3. Cross-field rules.
        ApplyCrossFieldRules(shape, templateName, version, path, problems, features, permissions);

        // 4. configSchema.
        if (shape.ConfigSchema is { } schema)
        {
            ConfigSchemaRules.Check(schema, path + ".configSchema", problems);
        }

        if (problems.Count > 0)
        {
            return null;
        }

        var json = WriteCanonical(shape, features, permissions);
        if (Encoding.UTF8.GetByteCount(json) > MaxBytes)
        {
            TextRules.Add(problems, path, "too large: at most 64 KiB");
            return null;
        }

        return new CanonicalDefinition(json, Sha256Hex(json), features.Count);
    }

    private static int Depth(JsonElement element, int level) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Select(p => Depth(p.Value, level + 1)).DefaultIfEmpty(level).Max(),
        JsonValueKind.Array => element.EnumerateArray().Select(e => Depth(e, level + 1)).DefaultIfEmpty(level).Max(),
        _ => level - 1,
    };

    public static string Sha256Hex(string json) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)));

    private sealed record Shape(
        JsonElement SchemaVersion,
        string Name,
        string Version,
        string? DisplayName,
        string? Description,
        IReadOnlyList<FeatureShape> Features,
        IReadOnlyDictionary<string, bool> Resources,
        IReadOnlyList<PermissionShape> Permissions,
        JsonElement? ConfigSchema);

    private sealed record FeatureShape(string Id, string Version, bool Required, bool Service, IReadOnlyList<string> DependsOn, JsonElement? Config);

    private sealed record PermissionShape(string Key, string Label, string? Description, IReadOnlyList<string>? DefaultRoles);

    /// <summary>A feature whose fields passed their rules (<see cref="IdValid"/> false: its id did not, so it is left out of the graph).</summary>
    private sealed record FeatureRef(int Index, string Id, bool IdValid, string Version, bool Required, bool Service, IReadOnlyList<string> DependsOn, JsonElement? Config);

    private sealed record Permission(int Index, string Key, bool KeyValid, string Label, string? Description, IReadOnlyList<string> DefaultRoles);

    private static Shape? ReadShape(JsonElement root, string path, IDictionary<string, List<string>> problems)
    {
        var fields = Fields(root, path, TopLevel, problems);
        var schemaVersion = Required(fields, "schemaVersion", JsonValueKind.Number, "a number", path, problems);
        var name = Required(fields, "name", JsonValueKind.String, "a string", path, problems);
        var version = Required(fields, "version", JsonValueKind.String, "a string", path, problems);
        var displayName = Optional(fields, "displayName", JsonValueKind.String, "a string", path, problems);
        var description = Optional(fields, "description", JsonValueKind.String, "a string", path, problems);
        var featuresElement = Required(fields, "features", JsonValueKind.Array, "an array", path, problems);
        var resourcesElement = Required(fields, "resources", JsonValueKind.Object, "an object", path, problems);
        var permissionsElement = Optional(fields, "permissions", JsonValueKind.Array, "an array", path, problems);
        var configSchema = Optional(fields, "configSchema", JsonValueKind.Object, "an object", path, problems);

        var features = new List<FeatureShape>();
        if (featuresElement is { } fa)
        {
            var i = 0;
            foreach (var item in fa.EnumerateArray())
            {
                var itemPath = $"{path}.features[{i++}]";
                if (item.ValueKind != JsonValueKind.Object)
                {
                    TextRules.Add(problems, itemPath, "must be an object");
                    continue;
                }

                var f = Fields(item, itemPath, FeatureFields, problems);
                var id = Required(f, "id", JsonValueKind.String, "a string", itemPath, problems);
                var v = Required(f, "version", JsonValueKind.String, "a string", itemPath, problems);
                var required = OptionalBool(f, "required", itemPath, problems);
                var service = OptionalBool(f, "service", itemPath, problems);
                var dependsOn = OptionalStrings(f, "dependsOn", itemPath, problems);
                var config = Optional(f, "config", JsonValueKind.Object, "an object", itemPath, problems);
                if (id is not null && v is not null)
                {
                    features.Add(new FeatureShape(id.Value.GetString()!, v.Value.GetString()!, required ?? true, service ?? false, dependsOn ?? [], config));
                }
            }
        }

        var resources = new Dictionary<string, bool>(StringComparer.Ordinal);
        if (resourcesElement is { } ra)
        {
            var rpath = path + ".resources";
            var r = Fields(ra, rpath, ResourceFields, problems);
            foreach (var key in ResourceFields)
            {
                if (!r.TryGetValue(key, out var value))
                {
                    TextRules.Add(problems, rpath + "." + key, "is required");
                }
                else if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    resources[key] = value.GetBoolean();
                }
                else
                {
                    TextRules.Add(problems, rpath + "." + key, "must be true or false");
                }
            }
        }

        var permissions = new List<PermissionShape>();
        if (permissionsElement is { } pa)
        {
            var i = 0;
            foreach (var item in pa.EnumerateArray())
            {
                var itemPath = $"{path}.permissions[{i++}]";
                if (item.ValueKind != JsonValueKind.Object)
                {
                    TextRules.Add(problems, itemPath, "must be an object");
                    continue;
                }

                var p = Fields(item, itemPath, PermissionFields, problems);
                var key = Required(p, "key", JsonValueKind.String, "a string", itemPath, problems);
                var label = Required(p, "label", JsonValueKind.String, "a string", itemPath, problems);
                var pdesc = Optional(p, "description", JsonValueKind.String, "a string", itemPath, problems);
                var roles = OptionalStrings(p, "defaultRoles", itemPath, problems);
                if (key is not null && label is not null)
                {
                    permissions.Add(new PermissionShape(key.Value.GetString()!, label.Value.GetString()!, pdesc?.GetString(), roles));
                }
            }
        }

        if (schemaVersion is null || name is null || version is null || featuresElement is null || resourcesElement is null)
        {
            return null;
        }

        return new Shape(schemaVersion.Value, name.Value.GetString()!, version.Value.GetString()!, displayName?.GetString(), description?.GetString(),
            features, resources, permissions, configSchema);
    }

    private static void ApplyFieldRules(Shape shape, string path, IDictionary<string, List<string>> problems, List<FeatureRef> features, List<Permission> permissions)
    {
        if (!shape.SchemaVersion.TryGetInt64(out var schemaVersion) || schemaVersion != 1)
        {
            TextRules.Add(problems, path + ".schemaVersion", "must be 1");
        }

        if (!TemplateNameRule.IsWellFormed(shape.Name))
        {
            TextRules.Add(problems, path + ".name", TemplateNameRule.Rule);
        }

        if (!StrictSemver.TryParse(shape.Version, out _))
        {
            TextRules.Add(problems, path + ".version", StrictSemver.Rule);
        }

        if (shape.DisplayName is not null)
        {
            TextRules.Text(problems, path + ".displayName", shape.DisplayName, 1, 128);
        }

        if (shape.Description is not null)
        {
            TextRules.Text(problems, path + ".description", shape.Description, 0, 1024);
        }

        if (shape.Features.Count is 0 or > MaxFeatures)
        {
            TextRules.Add(problems, path + ".features", $"must hold 1 to {MaxFeatures} features");
        }

        for (var i = 0; i < shape.Features.Count; i++)
        {
            var f = shape.Features[i];
            var fpath = $"{path}.features[{i}]";
            var idValid = FeatureIds.IsValid(f.Id);
            if (!idValid)
            {
                TextRules.Add(problems, fpath + ".id", FeatureIds.Rule);
            }

            if (!StrictSemver.TryParse(f.Version, out _))
            {
                TextRules.Add(problems, fpath + ".version", "must be an exact semantic version (no ranges): " + StrictSemver.Rule);
            }

            if (f.DependsOn.Count > MaxDependsOn)
            {
                TextRules.Add(problems, fpath + ".dependsOn", $"must list at most {MaxDependsOn} features");
            }

            for (var d = 0; d < f.DependsOn.Count; d++)
            {
                if (!FeatureIds.IsValid(f.DependsOn[d]))
                {
                    TextRules.Add(problems, $"{fpath}.dependsOn[{d}]", FeatureIds.Rule);
                }
            }

            if (f.Config is { } config)
            {
                if (Encoding.UTF8.GetByteCount(config.GetRawText()) > MaxConfigBytes)
                {
                    TextRules.Add(problems, fpath + ".config", "too large: at most 16 KiB");
                }

                foreach (var secret in SecretLikeKeys.Find(config, fpath + ".config"))
                {
                    TextRules.Add(problems, secret, SecretLikeKeys.Problem);
                }
            }

            features.Add(new FeatureRef(i, f.Id, idValid, f.Version, f.Required, f.Service, f.DependsOn, f.Config));
        }

        if (shape.Permissions.Count > MaxPermissions)
        {
            TextRules.Add(problems, path + ".permissions", $"must hold at most {MaxPermissions} permissions");
        }

        for (var i = 0; i < shape.Permissions.Count; i++)
        {
            var p = shape.Permissions[i];
            var ppath = $"{path}.permissions[{i}]";
            var keyValid = IsPermissionKey(p.Key);
            if (!keyValid)
            {
                TextRules.Add(problems, ppath + ".key", "must match {featureId}:{action} (^[a-z0-9-]+:[a-z-]+$), at most 64 characters");
            }

            var label = TextRules.Text(problems, ppath + ".label", p.Label, 1, 100);
            var description = p.Description is null ? null : TextRules.Text(problems, ppath + ".description", p.Description, 0, 500);
            var roles = p.DefaultRoles ?? DefaultRoles;
            if (roles.Count == 0)
            {
                TextRules.Add(problems, ppath + ".defaultRoles", "must not be empty");
            }
            else if (roles.Any(r => !Roles.Contains(r)))
            {
                TextRules.Add(problems, ppath + ".defaultRoles", "may contain only owner, admin and member");
            }
            else if (roles.Distinct(StringComparer.Ordinal).Count() != roles.Count)
            {
                TextRules.Add(problems, ppath + ".defaultRoles", "must not repeat a role");
            }

            permissions.Add(new Permission(i, p.Key, keyValid, label ?? p.Label.Trim(), description, roles));
        }
    }

    private static void ApplyCrossFieldRules(
        Shape shape, string? templateName, string? version, string path, IDictionary<string, List<string>> problems, List<FeatureRef> features, List<Permission> permissions)
    {
        if (templateName is not null && shape.Name != templateName)
        {
            TextRules.Add(problems, path + ".name", $"must equal the template name '{templateName}'");
        }

        if (version is not null && shape.Version != version)
        {
            TextRules.Add(problems, path + ".version", $"must equal the published version '{version}'");
        }

        var byId = new Dictionary<string, FeatureRef>(StringComparer.Ordinal);
        foreach (var f in features.Where(f => f.IdValid))
        {
            if (!byId.TryAdd(f.Id, f))
            {
                TextRules.Add(problems, $"{path}.features[{f.Index}].id", $"duplicates features[{byId[f.Id].Index}].id '{f.Id}'");
            }
        }

        foreach (var f in features)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var d = 0; d < f.DependsOn.Count; d++)
            {
                var dep = f.DependsOn[d];
                var dpath = $"{path}.features[{f.Index}].dependsOn[{d}]";
                if (!FeatureIds.IsValid(dep))
                {
                    continue;
                }

                if (dep == f.Id)
                {
                    TextRules.Add(problems, dpath, "a feature cannot depend on itself");
                }
                else if (!byId.ContainsKey(dep))
                {
                    TextRules.Add(problems, dpath, $"'{dep}' is not a feature of this definition");
                }
                else if (!seen.Add(dep))
                {
                    TextRules.Add(problems, dpath, $"'{dep}' is listed twice");
                }
            }
        }

        foreach (var cycle in FindCycles(byId))
        {
            TextRules.Add(problems, $"{path}.features[{byId[cycle[0]].Index}].dependsOn", "forms a dependency cycle: " + string.Join(" → ", cycle.Append(cycle[0])));
        }

        var byKey = new Dictionary<string, Permission>(StringComparer.Ordinal);
        foreach (var p in permissions.Where(p => p.KeyValid))
        {
            var ppath = $"{path}.permissions[{p.Index}].key";
            if (!byKey.TryAdd(p.Key, p))
            {
                TextRules.Add(problems, ppath, $"duplicates permissions[{byKey[p.Key].Index}].key '{p.Key}'");
            }

            var prefix = p.Key[..p.Key.IndexOf(':', StringComparison.Ordinal)];
            if (!byId.ContainsKey(prefix))
            {
                TextRules.Add(problems, ppath, $"the part before ':' must be a feature of this definition; '{prefix}' is not");
            }
        }
    }

    /// <summary>Each dependency cycle once (depth-first search over features with valid ids; self references are reported apart).</summary>
    private static List<List<string>> FindCycles(Dictionary<string, FeatureRef> byId)
    {
        var cycles = new List<List<string>>();
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 = on the stack, 2 = done
        var stack = new List<string>();

        void Visit(string id)
        {
            state[id] = 1;
            stack.Add(id);
            foreach (var dep in byId[id].DependsOn.Distinct(StringComparer.Ordinal))
            {
                if (dep == id || !byId.ContainsKey(dep))
                {
                    continue;
                }

                if (!state.TryGetValue(dep, out var s))
                {
                    Visit(dep);
                }
                else if (s == 1)
                {
                    cycles.Add(stack[stack.IndexOf(dep)..]);
                }
            }

            stack.RemoveAt(stack.Count - 1);
            state[id] = 2;
        }

        foreach (var id in byId.Keys)
        {
            if (!state.ContainsKey(id))
            {
                Visit(id);
            }
        }

        return cycles;
    }

    private static bool IsPermissionKey(string key)
    {
        var colon = key.IndexOf(':', StringComparison.Ordinal);
        if (key.Length > MaxPermissionKeyLength || colon <= 0 || colon == key.Length - 1)
        {
            return false;
        }

        return key[..colon].All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')
            && key[(colon + 1)..].All(c => c is (>= 'a' and <= 'z') or '-');
    }

    private static string WriteCanonical(Shape shape, List<FeatureRef> features, List<Permission> permissions)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("schemaVersion", 1);
            w.WriteString("name", shape.Name);
            w.WriteString("version", shape.Version);
            if (shape.DisplayName is not null)
            {
                w.WriteString("displayName", shape.DisplayName.Trim());
            }

            if (shape.Description is not null)
            {
                w.WriteString("description", shape.Description.Trim());
            }

            w.WriteStartArray("features");
            foreach (var f in features)
            {
                w.WriteStartObject();
                w.WriteString("id", f.Id);
                w.WriteString("version", f.Version);
                w.WriteBoolean("required", f.Required);
                w.WriteBoolean("service", f.Service);
                w.WriteStartArray("dependsOn");
                foreach (var d in f.DependsOn)
                {
                    w.WriteStringValue(d);
                }

                w.WriteEndArray();
                w.WritePropertyName("config");
                if (f.Config is { } config)
                {
                    CanonicalJson.WriteSorted(w, config);
                }
                else
                {
                    w.WriteStartObject();
                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartObject("resources");
            foreach (var key in ResourceFields)
            {
                w.WriteBoolean(key, shape.Resources[key]);
            }

            w.WriteEndObject();
            w.WriteStartArray("permissions");
            foreach (var p in permissions)
            {
                w.WriteStartObject();
                w.WriteString("key", p.Key);
                w.WriteString("label", p.Label);
                if (p.Description is not null)
                {
                    w.WriteString("description", p.Description);
                }

                w.WriteStartArray("defaultRoles");
                foreach (var r in p.DefaultRoles)
                {
                    w.WriteStringValue(r);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WritePropertyName("configSchema");
            if (shape.ConfigSchema is { } schema)
            {
                ConfigSchemaRules.WriteCanonical(w, schema);
            }
            else
            {
                w.WriteStartObject();
                w.WriteString("type", "object");
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // Shape helpers: each records its problem and returns null so every shape problem is reported at once.
    private static Dictionary<string, JsonElement> Fields(JsonElement obj, string path, string[] known, IDictionary<string, List<string>> problems)
    {
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in obj.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
            {
                TextRules.Add(problems, path + "." + property.Name, "is not a known field");
            }
            else if (!fields.TryAdd(property.Name, property.Value))
            {
                TextRules.Add(problems, path + "." + property.Name, "appears more than once");
            }
        }

        return fields;
    }

    private static JsonElement? Required(Dictionary<string, JsonElement> fields, string name, JsonValueKind kind, string kindName, string path, IDictionary<string, List<string>> problems)
    {
        if (!fields.TryGetValue(name, out var value))
        {
            TextRules.Add(problems, path + "." + name, "is required");
            return null;
        }

        return Typed(value, name, kind, kindName, path, problems);
    }

    private static JsonElement? Optional(Dictionary<string, JsonElement> fields, string name, JsonValueKind kind, string kindName, string path, IDictionary<string, List<string>> problems) =>
        fields.TryGetValue(name, out var value) ? Typed(value, name, kind, kindName, path, problems) : null;

    private static JsonElement? Typed(JsonElement value, string name, JsonValueKind kind, string kindName, string path, IDictionary<string, List<string>> problems)
    {
        if (value.ValueKind == kind)
        {
            return value;
        }

        TextRules.Add(problems, path + "." + name, "must be " + kindName);
        return null;
    }

    private static bool? OptionalBool(Dictionary<string, JsonElement> fields, string name, string path, IDictionary<string, List<string>> problems)
    {
        if (!fields.TryGetValue(name, out var value))
        {
            return null;
        }

        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetBoolean();
        }

        TextRules.Add(problems, path + "." + name, "must be true or false");
        return null;
    }

    private static List<string>? OptionalStrings(Dictionary<string, JsonElement> fields, string name, string path, IDictionary<string, List<string>> problems)
    {
        if (Optional(fields, name, JsonValueKind.Array, "an array of strings", path, problems) is not { } array)
        {
            return null;
        }

        var list = new List<string>();
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String)
            {
                list.Add(item.GetString()!);
            }
            else
            {
                TextRules.Add(problems, $"{path}.{name}[{i}]", "must be a string");
            }

            i++;
        }

        return list;
    }
}
