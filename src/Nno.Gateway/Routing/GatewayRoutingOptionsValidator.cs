using Microsoft.Extensions.Options;

namespace Nno.Gateway.Routing;

/// <summary>Refuses to start with route overrides that name unknown routes or hold non-positive values.</summary>
internal sealed class GatewayRoutingOptionsValidator : IValidateOptions<GatewayRoutingOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayRoutingOptions options)
    {
        var failures = GatewayRouteTable.Validate(options).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
