using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Nno.ServiceDefaults.Jobs;

/// <summary>Registration of periodic jobs that run on one replica at a time through a lease row in the service's database.</summary>
public static class PeriodicJobServiceCollectionExtensions
{
    /// <summary>
    /// Runs <typeparamref name="TJob"/> every <paramref name="period"/> (read from the container at start, so it can come
    /// from options) under the lease <paramref name="name"/> in <typeparamref name="TContext"/>'s <c>job_leases</c> table.
    /// Register after <c>AddNnoDatabase</c>, so migrations have run when the runner reads its lease.
    /// </summary>
    public static IServiceCollection AddNnoPeriodicJob<TContext, TJob>(this IServiceCollection services, string name, Func<IServiceProvider, TimeSpan> period)
        where TContext : DbContext
        where TJob : class, IPeriodicJob
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(period);
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<JobLeases<TContext>>();
        services.TryAddSingleton<JobRunLog>();
        services.TryAddSingleton<JobRunnerIdentity>();
        services.TryAddSingleton<JobMetrics>();
        services.TryAddScoped<TJob>();
        services.AddSingleton<IHostedService>(sp =>
        {
            var every = period(sp);
            if (every <= TimeSpan.Zero)
            {
                throw new InvalidOperationException($"The period of job {name} must be positive.");
            }

            return new PeriodicJobRunner<TContext, TJob>(
                name,
                every,
                sp.GetRequiredService<JobLeases<TContext>>(),
                sp.GetRequiredService<JobRunnerIdentity>(),
                sp.GetRequiredService<JobRunLog>(),
                sp.GetRequiredService<JobMetrics>(),
                sp.GetRequiredService<IServiceScopeFactory>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<PeriodicJobRunner<TContext, TJob>>>());
        });
        return services;
    }
}
