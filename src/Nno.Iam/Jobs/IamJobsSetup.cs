using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Nno.Iam.Data;
using Nno.ServiceDefaults.Jobs;

namespace Nno.Iam.Jobs;

/// <summary>Registers IAM's periodic jobs (iam.md §4.14), each on its lease in IAM's database.</summary>
internal static class IamJobsSetup
{
    public static IServiceCollection AddIamJobs(this IServiceCollection services)
    {
        services.AddOptions<IamJobOptions>().BindConfiguration(IamJobOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.Validate() is null, "Iam:Jobs intervals and retention periods must be positive.").ValidateOnStart();
        services.AddOptions<AuditRetentionOptions>().BindConfiguration(AuditRetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddNnoPeriodicJob<IamDbContext, SessionCleanupJob>(IamJobNames.SessionCleanup, sp => Jobs(sp).SessionCleanupInterval);
        services.AddNnoPeriodicJob<IamDbContext, VerificationCleanupJob>(IamJobNames.VerificationCleanup, sp => Jobs(sp).VerificationCleanupInterval);
        services.AddNnoPeriodicJob<IamDbContext, AuditRetentionJob>(IamJobNames.AuditRetention, sp => Jobs(sp).AuditRetentionInterval);
        services.AddNnoPeriodicJob<IamDbContext, DevMailboxCleanupJob>(IamJobNames.DevMailboxCleanup, sp => Jobs(sp).DevMailboxCleanupInterval);
        return services;
    }

    private static IamJobOptions Jobs(IServiceProvider services) => services.GetRequiredService<IOptions<IamJobOptions>>().Value;
}
