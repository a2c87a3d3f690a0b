using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Nno.Gateway.Routing;

namespace Nno.Gateway.OpenApi;

/// <summary>
/// Adds to the gateway's OpenAPI document (gateway.md §3.1) what endpoint discovery cannot see: the routing table as
/// paths (one per public prefix), the bearer security scheme and the error envelope.
/// </summary>
internal sealed class GatewayOpenApiTransformer(GatewayRouteTable table) : IOpenApiDocumentTransformer
{
    private const string BearerScheme = "bearer";
    private const string EnvelopeSchema = "ErrorEnvelope";

    private static readonly HttpMethod[] ForwardedMethods = [HttpMethod.Get, HttpMethod.Head, HttpMethod.Post, HttpMethod.Put, HttpMethod.Patch, HttpMethod.Delete];

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        document.Info.Description = "The public entry point of NNO. Every /api/v1 route is forwarded to the service named in its description; "
            + "requests need `Authorization: Bearer <session token | API key>` except the public routes listed in the gateway specification.";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An IAM session token or an NNO API key (nno_…).",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        document.Components.Schemas[EnvelopeSchema] = ErrorEnvelope();

        document.Paths ??= new OpenApiPaths();
        foreach (var route in table.Routes)
        {
            var item = new OpenApiPathItem
            {
                Summary = $"Forwarded to the {route.Service} service",
                Description = $"`{route.PublicPrefix}/{{rest}}` → {route.Service} `{(route.UpstreamBase.Length == 0 ? "" : route.UpstreamBase)}/{{rest}}` "
                    + $"(empty rest → `{(route.UpstreamBase.Length == 0 ? "/" : route.UpstreamBase)}`). Query strings pass unchanged. "
                    + $"Scope area `{route.ScopeArea}`, timeout {route.Timeout.TotalSeconds:0.###} s, body limit {route.BodyLimitBytes} bytes.",
                Parameters =
                [
                    new OpenApiParameter
                    {
                        Name = "rest",
                        In = ParameterLocation.Path,
                        Required = true,
                        Description = "The rest of the path, appended to the upstream base.",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                    },
                ],
                Operations = new Dictionary<HttpMethod, OpenApiOperation>(),
            };
            foreach (var method in ForwardedMethods)
            {
                item.Operations[method] = Operation(document, route, method);
            }

            document.Paths[route.PublicPrefix + "/{rest}"] = item;
        }

        return Task.CompletedTask;
    }

    private static OpenApiOperation Operation(OpenApiDocument document, GatewayRoute route, HttpMethod method)
    {
        var operation = new OpenApiOperation
        {
            OperationId = $"{route.Name}-{method.Method.ToLowerInvariant()}",
            Summary = $"{method.Method} {route.PublicPrefix}/{{rest}} → {route.Service}",
            Tags = new HashSet<OpenApiTagReference> { new("Routing", document) },
            Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }],
            Responses = new OpenApiResponses
            {
                ["default"] = new OpenApiResponse { Description = "The upstream service's response, passed through." },
            },
        };
        foreach (var (status, description) in GatewayErrorResponses)
        {
            operation.Responses[status] = new OpenApiResponse
            {
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
                {
                    ["application/json"] = new() { Schema = new OpenApiSchemaReference(EnvelopeSchema, document) },
                },
            };
        }

        return operation;
    }

    private static readonly (string Status, string Description)[] GatewayErrorResponses =
    [
        ("400", "VALIDATION_ERROR: malformed path."),
        ("401", "UNAUTHORIZED: missing, invalid, expired or revoked credential (WWW-Authenticate: Bearer)."),
        ("403", "FORBIDDEN: the API key lacks the route's scope (details.requiredScope), or a CORS preflight from a disallowed origin; PLATFORM_SUSPENDED / PLATFORM_INACTIVE: the platform in the path blocks this request (details.platformId, details.status)."),
        ("404", "NOT_FOUND: no route (or an internal-only path)."),
        ("413", "PAYLOAD_TOO_LARGE: body over the route's limit."),
        ("429", "RATE_LIMITED: a rate bucket is empty (details.bucket, details.limit, details.retryAfterSeconds; Retry-After and RateLimit-Limit/Remaining/Reset headers)."),
        ("502", "BAD_GATEWAY: the upstream failed or answered a 5xx without an error envelope."),
        ("503", "SERVICE_UNAVAILABLE: the upstream is unreachable or no service token is available (Retry-After)."),
        ("504", "UPSTREAM_TIMEOUT: no upstream response within the route's timeout."),
    ];

    private static OpenApiSchema ErrorEnvelope() => new()
    {
        Type = JsonSchemaType.Object,
        Required = new HashSet<string>(StringComparer.Ordinal) { "error" },
        Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
        {
            ["error"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Required = new HashSet<string>(StringComparer.Ordinal) { "code", "message", "details", "requestId" },
                Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
                {
                    ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Examples = [JsonValue.Create("NOT_FOUND")] },
                    ["message"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["details"] = new OpenApiSchema { Type = JsonSchemaType.Object | JsonSchemaType.Null },
                    ["requestId"] = new OpenApiSchema { Type = JsonSchemaType.String },
                },
            },
        },
    };
}
