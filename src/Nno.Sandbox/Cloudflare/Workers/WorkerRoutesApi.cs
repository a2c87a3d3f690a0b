namespace Nno.Sandbox.Cloudflare.Workers;

internal static class WorkerRoutesApi
{
    public static CloudflareArea Area { get; } = new()
    {
        Name = "WorkerRoutesApi",
        Map = _ => { },
    };
}
