using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.Registry.Scheduling;

/// <summary>
/// A row of <c>scheduler_leases</c> (registry.md §2): one per singleton sweep, with the sweep's high-water mark in
/// <see cref="Cursor"/> (for example the billing sweep's last <c>updatedAt</c>). Periodic jobs that need no cursor use
/// ServiceDefaults' <c>job_leases</c> through <c>AddNnoPeriodicJob</c>.
/// </summary>
internal sealed class SchedulerLeaseRecord
{
    public required string Name { get; set; }

    public required string Owner { get; set; }

    public long LeaseUntil { get; set; }

    public string? Cursor { get; set; }
}

internal sealed class SchedulerLeaseRecordConfiguration : IEntityTypeConfiguration<SchedulerLeaseRecord>
{
    public void Configure(EntityTypeBuilder<SchedulerLeaseRecord> builder)
    {
        builder.ToTable("scheduler_leases");
        builder.HasKey(l => l.Name);
        builder.Property(l => l.Name).HasMaxLength(100);
    }
}
