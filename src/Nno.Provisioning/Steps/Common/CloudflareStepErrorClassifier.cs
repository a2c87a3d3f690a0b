using Nno.Provisioning.Bundles;
using Nno.Provisioning.Cloudflare;
using Nno.Provisioning.Cloudflare.R2;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Migrations;

namespace Nno.Provisioning.Steps.Common;

/// <summary>
/// Classifies the failures of the Cloudflare building blocks for the job engine (provisioning.md §4.4): a local budget
/// without permits or a Cloudflare 429 defers (not an attempt); network errors, timeouts and 5xx are transient; a refused
/// token is <c>CF_AUTH_FAILED</c>; other 4xx and unusable answers are permanent; migration drift and refused migration SQL
/// and a missing bundle are permanent with their own codes; S3 (R2 bulk deletion) failures follow their own flag.
/// </summary>
internal sealed class CloudflareStepErrorClassifier : IStepErrorClassifier
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
        R2S3Exception { IsTransient: true } s3 =>
            StepFailureException.Transient(JobErrorCodes.CfApiError, s3.Message, null, s3),
        R2S3Exception s3 =>
            StepFailureException.Permanent(JobErrorCodes.CfApiError, s3.Message, s3),
        MigrationDriftException drift =>
            StepFailureException.Permanent(JobErrorCodes.MigrationDrift, drift.Message, drift),
        MigrationFailedException failed =>
            StepFailureException.Permanent(JobErrorCodes.MigrationFailed, failed.Message, failed),
        FeatureBundleNotFoundException missing =>
            StepFailureException.Permanent(JobErrorCodes.FeatureBundleNotFound, missing.Message, missing),
        _ => null,
    };
}
