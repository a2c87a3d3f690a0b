namespace Nno.Sandbox.Cloudflare.CustomHostnames;

internal static class CustomHostnamesApi
{
    public static CloudflareArea Area { get; } = new()
    {
        Name = "CustomHostnamesApi",
        Map = _ => { },
    };
}
