using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nno.Registry.Data;
using Nno.Registry.Environments;
using Nno.Registry.Platforms;

namespace Nno.Registry.Resources;

/// <summary>DNS record types: an NNO hostname under the platform domain, or a customer-owned name.</summary>
internal static class DnsRecordTypes
{
    public const string CustomHostname = "custom_hostname";
    public const string CustomDomain = "custom_domain";

    public static IReadOnlyList<string> All { get; } = [CustomHostname, CustomDomain];
}

/// <summary>Certificate states of a hostname (registry.md §4.4 DNS <c>sslStatus</c>).</summary>
internal static class SslStatuses
{
    public const string Pending = "pending";
    public const string Active = "active";
    public const string Failed = "failed";

    public static IReadOnlyList<string> All { get; } = [Pending, Active, Failed];
}

/// <summary>A row of <c>dns_records</c>; a live hostname is unique across all platforms.</summary>
internal sealed class DnsRecordRecord
{
    /// <summary><c>dns_…</c>.</summary>
    public required string Id { get; set; }

    public required string PlatformId { get; set; }

    public string? StackId { get; set; }

    public string? ResourceId { get; set; }

    public required string Environment { get; set; }

    /// <summary>Lower-case, at most 253 characters.</summary>
    public required string Hostname { get; set; }

    public required string RecordType { get; set; }

    public required string Target { get; set; }

    public string? CfCustomHostnameId { get; set; }

    public required string SslStatus { get; set; }

    public string? SslError { get; set; }

    public long? ActivatedAt { get; set; }

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }

    public long? DeletedAt { get; set; }
}

internal sealed class DnsRecordRecordConfiguration : IEntityTypeConfiguration<DnsRecordRecord>
{
    public void Configure(EntityTypeBuilder<DnsRecordRecord> builder)
    {
        builder.ToTable("dns_records");
        builder.HasKey(d => d.Id);
        builder.Property(d => d.Hostname).HasMaxLength(253);
        builder.Property(d => d.Target).HasMaxLength(253);
        builder.HasEnumCheck("record_type", DnsRecordTypes.All);
        builder.HasEnumCheck("ssl_status", SslStatuses.All);
        builder.HasEnumCheck("environment", PlatformEnvironments.All);
        builder.HasOne<PlatformRecord>().WithMany().HasForeignKey(d => d.PlatformId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<ResourceRecord>().WithMany().HasForeignKey(d => d.ResourceId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(d => d.Hostname).IsUnique().HasFilter(ModelConventions.Live).HasDatabaseName("ux_dns_records_hostname_live");
        builder.HasIndex(d => new { d.PlatformId, d.CreatedAt, d.Id });
        builder.HasIndex(d => d.ResourceId);
    }
}
