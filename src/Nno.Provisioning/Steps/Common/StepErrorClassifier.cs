using Nno.Provisioning.Bundles;
using Nno.Provisioning.Cloudflare;
using Nno.Provisioning.Cloudflare.R2;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Migrations;

namespace Nno.Provisioning.Steps.Common;

/// <summary>
/// Classifies the failures of the Cloudflare client, the S3 bulk deleter, the bundle catalogue and the D1 migration runner
/// (provisioning.md §4.4): 429 and an empty local budget defer, network/timeouts/5xx retry, other 4xx are permanent.
/// </summary>
internal sealed class StepErrorClassifier : IStepErrorClassifier
{
    public StepFailureException? Classify(Exception exception) => exception switch
    {
        CloudflareBudgetExhaustedException budget =>
            StepFailureException.Deferral(JobErrorCodes.CfApiError, budget.Message, budget.RetryAfter, budget),
        CloudflareApiException { IsRateLimited: true } limited =>
            StepFailureException.Deferral(JobErrorCodes.CfApiError, limited.Message, limited.RetryAfter, limited),
        CloudflareApiException { IsAuthenticationFailure: true } auth =>
            StepFailureException.Permanent(JobErrorCodes.CfAuthFailed, auth.Message, auth),
        CloudflareApiException { IsTransient: true } transient =>
            StepFailureException.Transient(JobErrorCodes.CfApiError, transient.Message, transient.RetryAfter, transient),
        CloudflareApiException permanent =>
            StepFailureException.Permanent(JobErrorCodes.CfApiError, permanent.Message, permanent),
        R2S3Exception { IsTransient: true } s3 => StepFailureException.Transient(JobErrorCodes.CfApiError, s3.Message, null, s3),
        R2S3Exception s3 => StepFailureException.Permanent(JobErrorCodes.CfApiError, s3.Message, s3),
        FeatureBundleNotFoundException missing => StepFailureException.Permanent(JobErrorCodes.FeatureBundleNotFound, missing.Message, missing),
        MigrationDriftException drift => StepFailureException.Permanent(JobErrorCodes.MigrationDrift, drift.Message, drift),
        MigrationFailedException failed => StepFailureException.Permanent(JobErrorCodes.MigrationFailed, failed.Message, failed),
        _ => null,
    };
}

/// <summary>Step failures the steps raise themselves.</summary>
internal static class StepErrors
{
    /// <summary>A create answered "exists" but the lookup that followed found nothing (a deletion in between): retried.</summary>
    public static StepFailureException Vanished(CloudflareApiException conflict) =>
        StepFailureException.Transient(JobErrorCodes.CfApiError, "Cloudflare reported a conflict, but the resource was not found afterwards: " + conflict.Message, null, conflict);
}
