namespace Nno.Sandbox.Cloudflare.Workers;

internal static class WorkersApi
{
    public static CloudflareArea Area { get; } = new()
    {
        Name = "WorkersApi",
        Map = _ => { },
    };
}
