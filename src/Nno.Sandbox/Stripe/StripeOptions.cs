namespace Nno.Sandbox.Stripe;

/// <summary>Settings of the Stripe emulator (configuration section <c>Sandbox:Stripe</c>).</summary>
public sealed class StripeOptions
{
    public const string Section = "Sandbox:Stripe";

    /// <summary>The secret key the sandbox accepts unless <see cref="SecretKey"/> is configured.</summary>
    public const string DefaultSecretKey = "sk_test_nno_sandbox";

    /// <summary>The API version answers are shaped for, and the one recorded when a request sends no <c>Stripe-Version</c>.</summary>
    public const string DefaultApiVersion = "2026-10-28.endive";

    /// <summary>The only key accepted in <c>Authorization: Bearer</c>.</summary>
    public string SecretKey { get; set; } = DefaultSecretKey;
}
