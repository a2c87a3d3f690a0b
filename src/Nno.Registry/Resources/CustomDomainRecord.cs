using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Registry.Data;
using Nno.Registry.Platforms;

namespace Nno.Registry.Resources;

/// <summary>Custom domain statuses (registry.md §4.4); <c>removed</c> is final.</summary>
internal static class CustomDomainStatuses
{
    public const string Pending = "pending";
    public const string Active = "active";
    public const string Failed = "failed";
    public const string Removing = "removing";
    public const string Removed = "removed";

    public static IReadOnlyList<string> All { get; } = [Pending, Active, Failed, Removing, Removed];
}

/// <summary>A row of <c>custom_domains</c>: a customer-owned domain pointed at one of the platform's hostnames.</summary>
internal sealed class CustomDomainRecord
{
    /// <summary><c>dom_…</c>.</summary>
    public required string Id { get; set; }

    public required string PlatformId { get; set; }

    public required string StackId { get; set; }

    public string? DnsRecordId { get; set; }

    public required string Domain { get; set; }

    public required string TargetHostname { get; set; }

    public required string Status { get; set; }

    public required string SslStatus { get; set; }

    /// <summary>JSON <c>[{type:"TXT"|"CNAME", name, value}]</c>.</summary>
    public required string VerificationRecords { get; set; }

    public string? ProvisionJobId { get; set; }

    /// <summary>JSON <c>{code,message,runNumber}</c>.</summary>
    public string? LastError { get; set; }

    public required string CreatedBy { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public long? ActivatedAt { get; set; }

    public long? DeletedAt { get; set; }
}

internal sealed class CustomDomainRecordConfiguration : IEntityTypeConfiguration<CustomDomainRecord>
{
    public void Configure(EntityTypeBuilder<CustomDomainRecord> builder)
    {
        builder.ToTable("custom_domains");
        builder.HasKey(d => d.Id);
        builder.Property(d => d.Domain).HasMaxLength(253);
        builder.Property(d => d.TargetHostname).HasMaxLength(253);
        builder.HasEnumCheck("status", CustomDomainStatuses.All);
        builder.HasEnumCheck("ssl_status", SslStatuses.All);
        builder.HasOne<PlatformRecord>().WithMany().HasForeignKey(d => d.PlatformId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<DnsRecordRecord>().WithMany().HasForeignKey(d => d.DnsRecordId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(d => d.Domain).IsUnique().HasFilter(ModelConventions.Live).HasDatabaseName("ux_custom_domains_domain_live");
        builder.HasIndex(d => new { d.PlatformId, d.CreatedAt, d.Id });
        builder.HasIndex(d => d.ProvisionJobId);
        builder.HasIndex(d => d.DnsRecordId);
    }
}
