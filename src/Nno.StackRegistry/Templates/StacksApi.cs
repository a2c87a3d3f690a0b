using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;
using Nno.Core.Errors;
using Nno.Core.Pagination;
using Nno.Core.Services;
using Nno.ServiceDefaults.Idempotency;
using Nno.ServiceDefaults.Security;
using Nno.StackRegistry.Access;
using Nno.StackRegistry.Versions;

namespace Nno.StackRegistry.Templates;

/// <summary>The routes of stack-registry.md §3.4 under <c>/api/v1/stacks</c>.</summary>
internal static class StacksApi
{
    public const string Path = "/api/v1/stacks";

    /// <summary>The services that read templates (§3.1): the Registry checks a requested template, Provisioning fetches definitions.</summary>
    private static readonly string[] Readers = [NnoServices.Registry, NnoServices.Provisioning];

    public static IEndpointRouteBuilder MapStacks(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).WithTags("Stack templates");

        group.MapGet("", ListTemplatesAsync)
            .WithName("ListStackTemplates")
            .WithSummary("The catalogue's templates ordered by name (active by default), filtered by status, domain or a name search.")
            .AllowServices(Readers)
            .Produces<ErrorEnvelope>(StatusCodes.Status400BadRequest, "application/json");
        group.MapPost("", CreateTemplateAsync)
            .WithName("CreateStackTemplate")
            .WithSummary("Create a template (operators); versions are published separately.")
            .WithIdempotency()
            .Produces<ErrorEnvelope>(StatusCodes.Status400BadRequest, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status403Forbidden, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status409Conflict, "application/json");
        group.MapGet("/{name}", GetTemplateAsync)
            .WithName("GetStackTemplate")
            .WithSummary("A template (any status) with its latest version.")
            .AllowServices(Readers)
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json");
        group.MapPatch("/{name}", UpdateTemplateAsync)
            .WithName("UpdateStackTemplate")
            .WithSummary("Change a template's display fields or status (operators); the name is immutable.")
            .Accepts<UpdateTemplateRequest>("application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status400BadRequest, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json");
        group.MapMethods("/{name}", [HttpMethods.Delete], (HttpContext context) => MethodNotAllowed(context, "GET, PATCH"))
            .WithName("DeleteStackTemplate")
            .WithSummary("Templates are never deleted: 405.")
            .AllowServices(Readers)
            .ExcludeFromDescription();

        group.MapPost("/{name}/versions", PublishAsync)
            .WithName("PublishStackTemplateVersion")
            .WithSummary("Publish an immutable version (operators); the same version with identical content answers 200.")
            .WithIdempotency()
            .Produces<TemplateVersionView>(StatusCodes.Status200OK)
            .Produces<ErrorEnvelope>(StatusCodes.Status400BadRequest, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status409Conflict, "application/json");
        group.MapGet("/{name}/versions", ListVersionsAsync)
            .WithName("ListStackTemplateVersions")
            .WithSummary("A template's versions, highest semver precedence first.")
            .AllowServices(Readers)
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json");
        group.MapGet("/{name}/versions/{version}", GetVersionAsync)
            .WithName("GetStackTemplateVersion")
            .WithSummary("One version with its definition ('latest' resolves the latest active version); ETag and If-None-Match.")
            .AllowServices(Readers)
            .Produces(StatusCodes.Status304NotModified)
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json");
        group.MapMethods("/{name}/versions/{version}", [HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete], (HttpContext context) => MethodNotAllowed(context, "GET"))
            .WithName("ChangeStackTemplateVersion")
            .WithSummary("Versions are immutable: 405.")
            .AllowServices(Readers)
            .ExcludeFromDescription();
        group.MapPost("/{name}/versions/{version}/deprecate", DeprecateAsync)
            .WithName("DeprecateStackTemplateVersion")
            .WithSummary("Deprecate a version, one way (operators); it stays readable.")
            .WithIdempotency()
            .Produces<ErrorEnvelope>(StatusCodes.Status400BadRequest, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status409Conflict, "application/json");
        return app;
    }

    private static async Task<Ok<Page<TemplateView>>> ListTemplatesAsync(
        HttpContext context,
        TemplateCatalogue catalogue,
        [FromQuery] string? status,
        [FromQuery] string? domain,
        [FromQuery] string? q,
        [FromQuery] string? limit,
        [FromQuery] string? cursor,
        [FromQuery] string? includeTotal,
        CancellationToken cancellationToken)
    {
        context.RequireReader();
        var page = PageRequest.Parse(limit, cursor, includeTotal);
        return TypedResults.Ok(await catalogue.ListAsync(status, domain, q, page, cancellationToken));
    }

    private static async Task<Created<TemplateView>> CreateTemplateAsync(HttpContext context, CreateTemplateRequest request, TemplateCatalogue catalogue, CancellationToken cancellationToken)
    {
        var actor = context.RequireWriter();
        var created = await catalogue.CreateAsync(request, actor, cancellationToken);
        return TypedResults.Created($"{Path}/{created.Name}", created);
    }

    private static async Task<Ok<TemplateDetailView>> GetTemplateAsync(
        HttpContext context, string name, TemplateCatalogue catalogue, VersionCatalogue versions, CancellationToken cancellationToken)
    {
        context.RequireReader();
        var template = await catalogue.GetAsync(name, tracked: false, cancellationToken);
        return TypedResults.Ok(new TemplateDetailView(TemplateView.From(template), await versions.LatestAsync(template, cancellationToken)));
    }

    private static async Task<Ok<TemplateView>> UpdateTemplateAsync(HttpContext context, string name, TemplateCatalogue catalogue, CancellationToken cancellationToken)
    {
        var actor = context.RequireWriter();

        // Read by hand, not bound: absent (unchanged) and null (clears icon/domain) must stay distinguishable, and the
        // OpenAPI document then describes the body as UpdateTemplateRequest.
        if (!context.Request.HasJsonContentType())
        {
            throw new ApiException(ErrorCodes.UnsupportedMediaType, "Unsupported media type: this endpoint takes application/json.");
        }

        using var document = await JsonDocument.ParseAsync(context.Request.Body, BodyOptions, cancellationToken);
        return TypedResults.Ok(await catalogue.UpdateAsync(name, document.RootElement, actor, cancellationToken));
    }

    private static readonly JsonDocumentOptions BodyOptions = new() { MaxDepth = 32, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow };

    private static async Task<Results<Created<TemplateVersionView>, Ok<TemplateVersionView>>> PublishAsync(
        HttpContext context, string name, PublishVersionRequest request, VersionCatalogue versions, CancellationToken cancellationToken)
    {
        var actor = context.RequireWriter();
        var outcome = await versions.PublishAsync(name, request, actor, cancellationToken);
        return outcome.Created
            ? TypedResults.Created($"{Path}/{outcome.Version.TemplateName}/versions/{outcome.Version.Version}", outcome.Version)
            : TypedResults.Ok(outcome.Version);
    }

    private static async Task<Ok<Page<TemplateVersionSummary>>> ListVersionsAsync(
        HttpContext context,
        string name,
        VersionCatalogue versions,
        [FromQuery] string? status,
        [FromQuery] string? limit,
        [FromQuery] string? cursor,
        [FromQuery] string? includeTotal,
        CancellationToken cancellationToken)
    {
        context.RequireReader();
        var page = PageRequest.Parse(limit, cursor, includeTotal);
        return TypedResults.Ok(await versions.ListAsync(name, status, page, cancellationToken));
    }

    private static async Task<Results<Ok<TemplateVersionView>, StatusCodeHttpResult>> GetVersionAsync(
        HttpContext context, string name, string version, VersionCatalogue versions, CancellationToken cancellationToken)
    {
        context.RequireReader();
        var view = await versions.GetAsync(name, version, cancellationToken);
        var etag = $"\"{view.DefinitionSha256}-{view.Status}\"";
        context.Response.Headers.ETag = etag;
        return Matches(context.Request.Headers.IfNoneMatch, etag)
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Ok(view);
    }

    private static async Task<Ok<TemplateVersionView>> DeprecateAsync(
        HttpContext context, string name, string version, DeprecateVersionRequest request, VersionCatalogue versions, CancellationToken cancellationToken)
    {
        var actor = context.RequireWriter();
        return TypedResults.Ok(await versions.DeprecateAsync(name, version, request, actor, cancellationToken));
    }

    /// <summary>If-None-Match (RFC 9110 §13.1.2): <c>*</c> or any listed tag, compared weakly.</summary>
    private static bool Matches(StringValues ifNoneMatch, string etag)
    {
        foreach (var header in ifNoneMatch)
        {
            foreach (var raw in (header ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var tag = raw.StartsWith("W/", StringComparison.Ordinal) ? raw[2..] : raw;
                if (tag == "*" || tag == etag)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static IResult MethodNotAllowed(HttpContext context, string allow)
    {
        var exception = new ApiException(ErrorCodes.MethodNotAllowed, $"Method {context.Request.Method} is not allowed here; allowed: {allow}.");
        exception.Headers["Allow"] = allow;
        throw exception;
    }
}
