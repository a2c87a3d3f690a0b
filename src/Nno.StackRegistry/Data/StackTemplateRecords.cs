using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.StackRegistry.Data;

/// <summary>Template and version statuses (stack-registry.md §2).</summary>
internal static class CatalogueStatuses
{
    public const string Active = "active";
    public const string Deprecated = "deprecated";
}

/// <summary>One row of <c>stack_templates</c> (stack-registry.md §2).</summary>
internal sealed class StackTemplateRecord
{
    public required string Id { get; set; }

    public required string Name { get; set; }

    public required string DisplayName { get; set; }

    public required string Description { get; set; }

    public string? Icon { get; set; }

    public string? Domain { get; set; }

    public string? LatestVersion { get; set; }

    public string Status { get; set; } = CatalogueStatuses.Active;

    public required string CreatedBy { get; set; }

    public required string UpdatedBy { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }
}

/// <summary>One row of <c>stack_template_versions</c>: immutable content, only the deprecation columns change (one way).</summary>
internal sealed class StackTemplateVersionRecord
{
    public required string Id { get; set; }

    public required string TemplateId { get; set; }

    public required string Version { get; set; }

    public long Major { get; set; }

    public long Minor { get; set; }

    public long Patch { get; set; }

    public string? Prerelease { get; set; }

    public required string Definition { get; set; }

    public required string DefinitionSha256 { get; set; }

    public int FeatureCount { get; set; }

    public string? Changelog { get; set; }

    public string Status { get; set; } = CatalogueStatuses.Active;

    public required string PublishedBy { get; set; }

    public long PublishedAt { get; set; }

    public string? DeprecatedBy { get; set; }

    public long? DeprecatedAt { get; set; }

    public string? DeprecationReason { get; set; }
}

internal sealed class StackTemplateRecordConfiguration : IEntityTypeConfiguration<StackTemplateRecord>
{
    public void Configure(EntityTypeBuilder<StackTemplateRecord> builder)
    {
        builder.ToTable("stack_templates");
        builder.HasKey(t => t.Id).HasName("pk_stack_templates");
        builder.Property(t => t.Id).HasColumnName("id");
        builder.Property(t => t.Name).HasColumnName("name").IsRequired();
        builder.Property(t => t.DisplayName).HasColumnName("display_name").IsRequired();
        builder.Property(t => t.Description).HasColumnName("description").IsRequired();
        builder.Property(t => t.Icon).HasColumnName("icon");
        builder.Property(t => t.Domain).HasColumnName("domain");
        builder.Property(t => t.LatestVersion).HasColumnName("latest_version");
        builder.Property(t => t.Status).HasColumnName("status").IsRequired().HasDefaultValue(CatalogueStatuses.Active);
        builder.Property(t => t.CreatedBy).HasColumnName("created_by").IsRequired();
        builder.Property(t => t.UpdatedBy).HasColumnName("updated_by").IsRequired();
        builder.Property(t => t.CreatedAt).HasColumnName("created_at");
        builder.Property(t => t.UpdatedAt).HasColumnName("updated_at");
        builder.HasIndex(t => t.Name).IsUnique().HasDatabaseName("ux_stack_templates_name");
        builder.HasIndex(t => new { t.Status, t.Name }).HasDatabaseName("ix_stack_templates_status_name");
        builder.HasIndex(t => new { t.Domain, t.Name }).HasDatabaseName("ix_stack_templates_domain_name");
    }
}

internal sealed class StackTemplateVersionRecordConfiguration : IEntityTypeConfiguration<StackTemplateVersionRecord>
{
    public void Configure(EntityTypeBuilder<StackTemplateVersionRecord> builder)
    {
        builder.ToTable("stack_template_versions");
        builder.HasKey(v => v.Id).HasName("pk_stack_template_versions");
        builder.Property(v => v.Id).HasColumnName("id");
        builder.Property(v => v.TemplateId).HasColumnName("template_id").IsRequired();
        builder.Property(v => v.Version).HasColumnName("version").IsRequired();
        builder.Property(v => v.Major).HasColumnName("major");
        builder.Property(v => v.Minor).HasColumnName("minor");
        builder.Property(v => v.Patch).HasColumnName("patch");
        builder.Property(v => v.Prerelease).HasColumnName("prerelease");
        builder.Property(v => v.Definition).HasColumnName("definition").IsRequired();
        builder.Property(v => v.DefinitionSha256).HasColumnName("definition_sha256").IsRequired();
        builder.Property(v => v.FeatureCount).HasColumnName("feature_count");
        builder.Property(v => v.Changelog).HasColumnName("changelog");
        builder.Property(v => v.Status).HasColumnName("status").IsRequired().HasDefaultValue(CatalogueStatuses.Active);
        builder.Property(v => v.PublishedBy).HasColumnName("published_by").IsRequired();
        builder.Property(v => v.PublishedAt).HasColumnName("published_at");
        builder.Property(v => v.DeprecatedBy).HasColumnName("deprecated_by");
        builder.Property(v => v.DeprecatedAt).HasColumnName("deprecated_at");
        builder.Property(v => v.DeprecationReason).HasColumnName("deprecation_reason");
        builder.HasOne<StackTemplateRecord>().WithMany().HasForeignKey(v => v.TemplateId)
            .HasConstraintName("fk_stack_template_versions_template").OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(v => new { v.TemplateId, v.Version }).IsUnique().HasDatabaseName("ux_stack_template_versions_template_version");
        builder.HasIndex(v => new { v.TemplateId, v.Status }).HasDatabaseName("ix_stack_template_versions_template_status");
    }
}
