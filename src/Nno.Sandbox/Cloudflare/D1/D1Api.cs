namespace Nno.Sandbox.Cloudflare.D1;

internal static class D1Api
{
    public static CloudflareArea Area { get; } = new()
    {
        Name = "D1Api",
        Map = _ => { },
    };
}
