namespace Nno.Sandbox;

/// <summary>Settings of the whole Sandbox (configuration section <c>Sandbox</c>).</summary>
public sealed class SandboxOptions
{
    public const string Section = "Sandbox";

    /// <summary>The value every admin call carries in <c>X-Sandbox-Admin</c>.</summary>
    public string AdminToken { get; set; } = "sandbox-admin";
}
