using Microsoft.EntityFrameworkCore;

namespace Nno.ServiceDefaults.Jobs;

/// <summary>
/// A row of <c>job_leases</c>: who ran a periodic job last and until when nobody else may run it. The lease doubles as the
/// job's schedule: <see cref="LeasedUntil"/> is the earliest time of the next run on any replica.
/// </summary>
public sealed class JobLeaseRecord
{
    /// <summary>The job's name (for example <c>iam.session-cleanup</c>).</summary>
    public required string Name { get; set; }

    /// <summary>The runner that took the lease last; empty when the row was only scheduled.</summary>
    public required string Holder { get; set; }

    /// <summary>Unix ms: until then the job belongs to <see cref="Holder"/>; after it, the next run is due.</summary>
    public long LeasedUntil { get; set; }

    /// <summary>Unix ms of the last run's start (null before the first run).</summary>
    public long? LastRunAt { get; set; }
}

/// <summary>Adds the <c>job_leases</c> table to a service's own database model.</summary>
public static class JobLeaseModel
{
    /// <summary>Table name (snake_case like every NNO table).</summary>
    public const string Table = "job_leases";

    /// <summary>Maps <see cref="JobLeaseRecord"/>; call from <c>OnModelCreating</c> so the service's migration creates the table.</summary>
    public static ModelBuilder AddNnoJobLeases(this ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.Entity<JobLeaseRecord>(e =>
        {
            e.ToTable(Table);
            e.HasKey(r => r.Name).HasName("pk_job_leases");
            e.Property(r => r.Name).HasColumnName("name").HasMaxLength(100);
            e.Property(r => r.Holder).HasColumnName("holder").HasMaxLength(200);
            e.Property(r => r.LeasedUntil).HasColumnName("leased_until");
            e.Property(r => r.LastRunAt).HasColumnName("last_run_at");
        });
        return modelBuilder;
    }
}
