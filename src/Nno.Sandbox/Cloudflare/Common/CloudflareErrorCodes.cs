namespace Nno.Sandbox.Cloudflare.Common;

/// <summary>
/// Error codes the emulator answers with (provisioning.md §5.1). 971, 1406, 7000, 8000007, 10000, 10004, 10006, 10007,
/// 10008, 10009, 10014 and 10019 are Cloudflare's own; the others are the emulator's, so clients key on HTTP status.
/// </summary>
public static class CloudflareErrorCodes
{
    public const int RateLimited = 971;
    public const int DuplicateCustomHostname = 1406;
    public const int CustomHostnameNotFound = 1436;
    public const int NoRoute = 7000;
    public const int InvalidObjectIdentifier = 7003;
    public const int MalformedRequest = 7400;
    public const int D1NotFound = 7404;
    public const int D1QueryError = 7500;
    public const int D1DuplicateName = 7502;
    public const int AuthenticationError = 10000;
    public const int InjectedError = 10001;
    public const int WorkerRouteNotFound = 10005;
    public const int WorkerNotFound = 10007;
    public const int WorkerRouteScriptMissing = 10019;
    public const int WorkerRouteDuplicate = 10020;
    public const int WorkerInvalidUpload = 10021;
    public const int WorkerTooLarge = 10027;
    public const int WorkerHasRoutes = 10064;
    public const int WorkerBindingNameInUse = 10053;
    public const int WorkerSecretNotFound = 10056;
    public const int RequestTooLarge = 413;
}
