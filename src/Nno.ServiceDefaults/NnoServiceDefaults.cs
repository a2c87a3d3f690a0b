using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Nno.Core.Json;
using Nno.ServiceDefaults.Bindings;
using Nno.ServiceDefaults.Errors;
using Nno.ServiceDefaults.Health;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Idempotency;
using Nno.ServiceDefaults.Limits;
using Nno.ServiceDefaults.Logging;
using Nno.ServiceDefaults.RequestContext;
using Nno.ServiceDefaults.Security;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Nno.ServiceDefaults;

/// <summary>The one call every NNO service makes (conventions.md): logging, telemetry, errors, ids, health, OpenAPI, bindings, service-token auth.</summary>
public static class NnoServiceDefaults
{
    /// <summary>Name of the activity source and meter NNO's own code uses.</summary>
    public const string TelemetryName = "Nno";

    /// <summary>ASP.NET Core's request log category ("Request starting … ?token=…"), held at Warning for every provider.</summary>
    public const string RequestLogCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    public static WebApplicationBuilder AddNnoServiceDefaults(this WebApplicationBuilder builder, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var version = typeof(NnoServiceDefaults).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        services.AddSingleton(new NnoServiceIdentity(serviceName, version));
        services.AddSingleton<NnoServiceIdentityAccessor>();
        services.AddOptions<NnoOptions>().BindConfiguration(NnoOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<NnoLimitsOptions>().BindConfiguration(NnoLimitsOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        // One process alone: evictions reach only this process. The host shares one channel between its apps; distributed mode replaces it.
        services.TryAddSingleton<Evictions.ICredentialEvictionChannel, Evictions.InProcessCredentialEvictionChannel>();

        // Defaults below every other configuration source, so files, environment and arguments override them: the
        // framework's per-request Information lines (routing, EF commands, YARP) would otherwise cost more than the
        // requests they describe and bury NNO's own logs.
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Information",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
                ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Warning",
                ["Logging:LogLevel:Yarp"] = "Warning",
                ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
            },
        });

        // Logging: NDJSON on stdout, one object per line. The framework's "Request starting/finished" lines carry full
        // URLs, query strings included (magic-link and OAuth tokens), so that category is held at Warning for every
        // provider, beyond the reach of configuration; requests are visible in the gateway's access log instead, which
        // never holds a query string.
        builder.Logging.ClearProviders();
        builder.Logging.HoldAtWarning(RequestLogCategory);
        HeldLogCategories.AddProviderRules(services);
        builder.Logging.AddConsole(o => o.FormatterName = NdjsonConsoleFormatter.FormatterName)
            .AddConsoleFormatter<NdjsonConsoleFormatter, NdjsonFormatterOptions>(o =>
            {
                o.Service = serviceName;
                o.IncludeScopes = true;
            });

        // Telemetry: metrics from ASP.NET Core, HttpClient and NNO's own meter; traces (spans) are recorded when someone
        // reads them: an OTLP endpoint is configured, or Nno:Telemetry:Tracing=true. Request and trace ids flow through
        // X-Request-Id / X-Trace-Id and every log line either way (decision 0006).
        var exporting = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("nno-" + serviceName, serviceVersion: version))
            .WithMetrics(m => m.AddMeter(TelemetryName).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation());
        if (builder.Configuration.GetValue("Nno:Telemetry:Tracing", exporting))
        {
            otel.WithTracing(t => t.AddSource(TelemetryName).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation());
        }

        if (exporting)
        {
            otel.UseOtlpExporter();
        }

        services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "NNO " + serviceName;
            doc.Info.Version = version;
            return Task.CompletedTask;
        }));
        services.AddHealthChecks();

        // JSON: NNO's rules for request and response bodies; binding failures throw so they become envelopes.
        services.Configure<JsonOptions>(o => NnoJson.Configure(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.Configure<KestrelServerOptions>(o => o.AddServerHeader = false);
        // Every service gets the gateway's connection limits (gateway.md §3.5, §6), so what the gateway accepts and
        // forwards an upstream accepts too; MinRequestBodyDataRate keeps Kestrel's default against slow bodies.
        services.AddOptions<KestrelServerOptions>().Configure<Microsoft.Extensions.Options.IOptions<NnoLimitsOptions>>((k, limits) =>
        {
            k.Limits.MaxRequestBodySize = limits.Value.MaxRequestBodyBytes;
            k.Limits.MaxRequestLineSize = limits.Value.MaxRequestLineBytes;
            k.Limits.MaxRequestHeadersTotalSize = limits.Value.MaxRequestHeadersBytes;
            k.Limits.RequestHeadersTimeout = limits.Value.RequestHeadersTimeout;
        });

        services.AddNnoServiceAuthentication(serviceName);
        services.AddNnoServiceBindings(builder.Configuration, (_, client) => client.AddNnoServiceToken());
        return builder;
    }

    /// <summary>The middleware every service runs, in order, and the endpoints every service answers.</summary>
    /// <param name="app">The application.</param>
    /// <param name="acceptsServiceTokens">False skips the service-token principal middleware (the gateway).</param>
    /// <param name="beforeRouting">Service middleware placed after request ids and error handling, before routing.</param>
    public static WebApplication UseNnoServiceDefaults(this WebApplication app, bool acceptsServiceTokens = true, Action<WebApplication>? beforeRouting = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<RequestIdMiddleware>();
        app.UseMiddleware<ErrorHandlingMiddleware>();
        beforeRouting?.Invoke(app);
        app.UseRouting();
        if (acceptsServiceTokens)
        {
            // Services behind the gateway: body limit, the one principal rule, idempotency. The gateway applies its own
            // per-route limits and takes no service tokens inbound, so it skips all three.
            app.UseNnoRequestBodyLimit();
            app.UseNnoPrincipal();
            app.UseNnoIdempotency();
        }

        app.MapNnoHealth();
        app.MapOpenApi("/openapi/{documentName}.json").AllowWithoutServiceToken();
        return app;
    }
}
