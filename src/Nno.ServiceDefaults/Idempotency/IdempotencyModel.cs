using Microsoft.EntityFrameworkCore;

namespace Nno.ServiceDefaults.Idempotency;

/// <summary>Adds the <c>idempotency_keys</c> table to a service's own database model.</summary>
public static class IdempotencyModel
{
    /// <summary>Table name (snake_case like every NNO table).</summary>
    public const string Table = "idempotency_keys";

    internal const string InProgress = "in-progress";
    internal const string Completed = "completed";
    internal const string SecretBearing = "secret-bearing";

    /// <summary>Maps <see cref="IdempotencyRecord"/>; call from <c>OnModelCreating</c> so the service's migration creates the table.</summary>
    public static ModelBuilder AddNnoIdempotency(this ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.Entity<IdempotencyRecord>(e =>
        {
            e.ToTable(Table);
            e.HasKey(r => new { r.Principal, r.Key }).HasName("pk_idempotency_keys");
            e.Property(r => r.Principal).HasColumnName("principal").HasMaxLength(300);
            e.Property(r => r.Key).HasColumnName("key").HasMaxLength(255);
            e.Property(r => r.RequestHash).HasColumnName("request_hash").HasMaxLength(64);
            e.Property(r => r.State).HasColumnName("state").HasMaxLength(16)
                .HasConversion(s => StateToText(s), t => TextToState(t));
            e.Property(r => r.StatusCode).HasColumnName("status_code");
            e.Property(r => r.ContentType).HasColumnName("content_type");
            e.Property(r => r.ResponseHeaders).HasColumnName("response_headers");
            e.Property(r => r.ResponseBody).HasColumnName("response_body");
            e.Property(r => r.ResourceId).HasColumnName("resource_id");
            e.Property(r => r.CreatedAt).HasColumnName("created_at");
            e.Property(r => r.ExpiresAt).HasColumnName("expires_at");
            e.HasIndex(r => r.ExpiresAt).HasDatabaseName("ix_idempotency_keys_expires_at");
        });
        return modelBuilder;
    }

    internal static string StateToText(IdempotencyState state) => state switch
    {
        IdempotencyState.InProgress => InProgress,
        IdempotencyState.Completed => Completed,
        IdempotencyState.SecretBearing => SecretBearing,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown idempotency state."),
    };

    internal static IdempotencyState TextToState(string text) => text switch
    {
        InProgress => IdempotencyState.InProgress,
        Completed => IdempotencyState.Completed,
        SecretBearing => IdempotencyState.SecretBearing,
        _ => throw new ArgumentOutOfRangeException(nameof(text), text, "Unknown idempotency state."),
    };
}
