using System.Text.Json;
using Nno.Registry.Builds;
using Nno.Registry.Environments;
using Nno.Registry.Features;
using Nno.Registry.Resources;
using Nno.Registry.Stacks;

namespace Nno.Registry.Objects;

/// <summary>Conversions every object view shares: Unix ms → ISO time, stored JSON text → JSON value.</summary>
internal static class ViewValues
{
    public static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    public static DateTimeOffset? At(long? ms) => ms is { } value ? DateTimeOffset.FromUnixTimeMilliseconds(value) : null;

    /// <summary>A JSON column as a value (null when the column is NULL).</summary>
    public static JsonElement? Json(string? text)
    {
        if (text is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}

/// <summary>The Stack representation (registry.md §3.3), with <c>definition</c>.</summary>
internal sealed record StackView(
    string Id, string PlatformId, string TenantId, string Name, string DisplayName, bool IsDefault, string Source, string? TemplateId,
    string? TemplateVersion, string Environment, JsonElement? Definition, string Status, string? ProvisionJobId, JsonElement? LastError,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? DeletedAt)
{
    public static StackView From(StackRecord s) => new(
        s.Id, s.PlatformId, s.EntityId, s.Name, s.DisplayName, s.IsDefault, s.Source, s.TemplateId, s.TemplateVersion, s.Environment,
        ViewValues.Json(s.Definition), s.Status, s.ProvisionJobId, ViewValues.Json(s.LastError), ViewValues.At(s.CreatedAt), ViewValues.At(s.UpdatedAt),
        ViewValues.At(s.DeletedAt));
}

/// <summary>A stack in a list: the representation without the large <c>definition</c> (§3.3).</summary>
internal sealed record StackListItem(
    string Id, string PlatformId, string TenantId, string Name, string DisplayName, bool IsDefault, string Source, string? TemplateId,
    string? TemplateVersion, string Environment, string Status, string? ProvisionJobId, JsonElement? LastError,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? DeletedAt)
{
    public static StackListItem From(StackRecord s) => new(
        s.Id, s.PlatformId, s.EntityId, s.Name, s.DisplayName, s.IsDefault, s.Source, s.TemplateId, s.TemplateVersion, s.Environment,
        s.Status, s.ProvisionJobId, ViewValues.Json(s.LastError), ViewValues.At(s.CreatedAt), ViewValues.At(s.UpdatedAt), ViewValues.At(s.DeletedAt));
}

/// <summary>The FeatureActivation representation (§3.3).</summary>
internal sealed record FeatureActivationView(
    string Id, string PlatformId, string EntityId, string StackId, string FeatureId, string FeatureVersion, string Environment, string Source,
    string Status, JsonElement? Config, string? ProvisionJobId, JsonElement? LastError, DateTimeOffset? ActivatedAt, DateTimeOffset? DeactivatedAt,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static FeatureActivationView From(FeatureActivationRecord a) => new(
        a.Id, a.PlatformId, a.EntityId, a.StackId, a.FeatureId, a.FeatureVersion, a.Environment, a.Source, a.Status, ViewValues.Json(a.Config),
        a.ProvisionJobId, ViewValues.Json(a.LastError), ViewValues.At(a.ActivatedAt), ViewValues.At(a.DeactivatedAt), ViewValues.At(a.CreatedAt),
        ViewValues.At(a.UpdatedAt));
}

/// <summary>The Resource representation: its columns in camelCase.</summary>
internal sealed record ResourceView(
    string Id, string PlatformId, string StackId, string? EntityId, string? FeatureId, string Type, string LogicalName, string CfName,
    string? CfResourceId, string Environment, string Status, string? ProvisionJobId, JsonElement? LastError, DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt, DateTimeOffset? DeletedAt)
{
    public static ResourceView From(ResourceRecord r) => new(
        r.Id, r.PlatformId, r.StackId, r.EntityId, r.FeatureId, r.Type, r.LogicalName, r.CfName, r.CfResourceId, r.Environment, r.Status,
        r.ProvisionJobId, ViewValues.Json(r.LastError), ViewValues.At(r.CreatedAt), ViewValues.At(r.UpdatedAt), ViewValues.At(r.DeletedAt));
}

/// <summary>The DnsRecord representation: its columns in camelCase.</summary>
internal sealed record DnsRecordView(
    string Id, string PlatformId, string? StackId, string? ResourceId, string Environment, string Hostname, string RecordType, string Target,
    string? CfCustomHostnameId, string SslStatus, string? SslError, DateTimeOffset? ActivatedAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    DateTimeOffset? DeletedAt)
{
    public static DnsRecordView From(DnsRecordRecord d) => new(
        d.Id, d.PlatformId, d.StackId, d.ResourceId, d.Environment, d.Hostname, d.RecordType, d.Target, d.CfCustomHostnameId, d.SslStatus,
        d.SslError, ViewValues.At(d.ActivatedAt), ViewValues.At(d.CreatedAt), ViewValues.At(d.UpdatedAt), ViewValues.At(d.DeletedAt));
}

/// <summary>The CustomDomain representation: its columns in camelCase.</summary>
internal sealed record CustomDomainView(
    string Id, string PlatformId, string StackId, string? DnsRecordId, string Domain, string TargetHostname, string Status, string SslStatus,
    JsonElement? VerificationRecords, string? ProvisionJobId, JsonElement? LastError, string CreatedBy, DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt, DateTimeOffset? ActivatedAt, DateTimeOffset? DeletedAt)
{
    public static CustomDomainView From(CustomDomainRecord d) => new(
        d.Id, d.PlatformId, d.StackId, d.DnsRecordId, d.Domain, d.TargetHostname, d.Status, d.SslStatus, ViewValues.Json(d.VerificationRecords),
        d.ProvisionJobId, ViewValues.Json(d.LastError), d.CreatedBy, ViewValues.At(d.CreatedAt), ViewValues.At(d.UpdatedAt), ViewValues.At(d.ActivatedAt),
        ViewValues.At(d.DeletedAt));
}

/// <summary>Secret metadata: never a value, hash or fingerprint (none is stored).</summary>
internal sealed record SecretView(
    string Id, string PlatformId, string ResourceId, string Name, string Environment, string Source, string Status, int Version,
    DateTimeOffset? LastSetAt, string? LastSetBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static SecretView From(SecretRecord s) => new(
        s.Id, s.PlatformId, s.ResourceId, s.Name, s.Environment, s.Source, s.Status, s.Version, ViewValues.At(s.LastSetAt), s.LastSetBy,
        ViewValues.At(s.CreatedAt), ViewValues.At(s.UpdatedAt));
}

/// <summary>The BuildState representation: its columns in camelCase.</summary>
internal sealed record BuildStateView(
    string PlatformId, string Environment, string? RepoFullName, string? DefaultBranch, string? PagesProject, string? LastBuildId,
    string? LastCommitSha, string Status, string? Url, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, JsonElement? LastError,
    DateTimeOffset UpdatedAt)
{
    public static BuildStateView From(BuildStateRecord b) => new(
        b.PlatformId, b.Environment, b.RepoFullName, b.DefaultBranch, b.PagesProject, b.LastBuildId, b.LastCommitSha, b.Status, b.Url,
        ViewValues.At(b.StartedAt), ViewValues.At(b.FinishedAt), ViewValues.Json(b.LastError), ViewValues.At(b.UpdatedAt));
}

/// <summary>The Environment representation (§3.3).</summary>
internal sealed record EnvironmentView(
    string PlatformId, string Environment, string Status, string? ProvisionJobId, DateTimeOffset? ProvisionedAt, JsonElement? LastError,
    DateTimeOffset UpdatedAt)
{
    public static EnvironmentView From(PlatformEnvironmentRecord e) => new(
        e.PlatformId, e.Environment, e.Status, e.ProvisionJobId, ViewValues.At(e.ProvisionedAt), ViewValues.Json(e.LastError), ViewValues.At(e.UpdatedAt));
}
