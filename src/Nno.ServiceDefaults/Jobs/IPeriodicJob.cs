namespace Nno.ServiceDefaults.Jobs;

/// <summary>
/// Work that runs every period on one replica at a time (registered with
/// <see cref="PeriodicJobServiceCollectionExtensions.AddNnoPeriodicJob{TContext, TJob}"/>). Resolved from a fresh scope
/// for each run, so it may take scoped services such as the service's DbContext.
/// </summary>
public interface IPeriodicJob
{
    /// <summary>Does one run; returns how many items it handled (for logs and diagnostics).</summary>
    Task<int> RunAsync(CancellationToken cancellationToken);
}
