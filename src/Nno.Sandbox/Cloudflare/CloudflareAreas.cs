using Nno.Sandbox.Cloudflare.CustomHostnames;
using Nno.Sandbox.Cloudflare.D1;
using Nno.Sandbox.Cloudflare.Tokens;
using Nno.Sandbox.Cloudflare.Workers;
using Nno.Sandbox.Cloudflare.Zones;

namespace Nno.Sandbox.Cloudflare;

/// <summary>Every area of the Cloudflare emulator, in one place (README-extending.md: add one line per new area).</summary>
public static class CloudflareAreas
{
    public static IReadOnlyList<CloudflareArea> All { get; } =
    [
        TokensApi.Area,
        ZonesApi.Area,
        D1Api.Area,
        WorkersApi.Area,
        WorkerRoutesApi.Area,
        CustomHostnamesApi.Area,
        Kv.KvApi.Area,
        R2.R2Api.Area,
        S3.S3Api.Area,
        Queues.QueuesApi.Area,
    ];
}
