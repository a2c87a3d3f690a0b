using System.ComponentModel.DataAnnotations;

namespace Nno.Registry;

/// <summary>Registry settings (section <c>Registry</c>, registry.md §2, §4.1).</summary>
public sealed class RegistryOptions
{
    public const string Section = "Registry";

    /// <summary>How long <c>audit_log</c> rows are kept (the delete trigger refuses younger rows).</summary>
    [Range(1, 36_500)]
    public int AuditRetentionDays { get; set; } = 400;

    /// <summary>Days after deletion before a deleted platform's kept data is purged.</summary>
    [Range(1, 3650)]
    public int DeletedRetentionDays { get; set; } = 30;

    /// <summary>Days a cancelled platform waits before it is deleted with reason <c>retention_expired</c>.</summary>
    [Range(1, 3650)]
    public int CancelledRetentionDays { get; set; } = 30;
}
