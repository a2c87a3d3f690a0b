using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;

namespace Nno.ServiceDefaults.Bindings;

/// <summary>
/// An <see cref="IServer"/> that captures the application's request pipeline so it can be invoked in memory by
/// <see cref="InMemoryHttpHandler"/>, and optionally also starts a real server (Kestrel) with the same pipeline, so one
/// application is reachable both through its port and through the in-memory service binding (00-system §4).
/// </summary>
public sealed class InMemoryServer(IServer? inner) : IServer
{
    private readonly FeatureCollection _ownFeatures = new();
    private volatile PipelineInvoker? _invoker;

    /// <summary>The real server started alongside, if any.</summary>
    public IServer? Inner => inner;

    public IFeatureCollection Features => inner?.Features ?? _ownFeatures;

    /// <summary>True once the application has started and can take requests.</summary>
    public bool IsStarted => _invoker is not null;

    internal PipelineInvoker? Invoker => _invoker;

    public async Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
        where TContext : notnull
    {
        if (inner is not null)
        {
            await inner.StartAsync(application, cancellationToken);
        }

        _invoker = new PipelineInvoker<TContext>(application);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _invoker = null;
        if (inner is not null)
        {
            await inner.StopAsync(cancellationToken);
        }
    }

    public void Dispose() => inner?.Dispose();

    /// <summary>Creates a handler that sends requests into this server's pipeline.</summary>
    public HttpMessageHandler CreateHandler(string serviceName) => new InMemoryHttpHandler(this, serviceName);
}

/// <summary>Type-erased access to an <see cref="IHttpApplication{TContext}"/>.</summary>
internal abstract class PipelineInvoker
{
    /// <summary>
    /// Runs one request as a server would: create the context, run the pipeline, let <paramref name="finish"/> end the
    /// response and fire <c>OnCompleted</c> (it receives the pipeline's exception, if any), then dispose the context.
    /// </summary>
    public abstract Task InvokeAsync(IFeatureCollection features, Func<Exception?, Task> finish);
}

internal sealed class PipelineInvoker<TContext>(IHttpApplication<TContext> application) : PipelineInvoker
    where TContext : notnull
{
    public override async Task InvokeAsync(IFeatureCollection features, Func<Exception?, Task> finish)
    {
        var context = application.CreateContext(features);
        Exception? error = null;
        try
        {
            await application.ProcessRequestAsync(context);
        }
        catch (Exception ex)
        {
            // A server never lets an application exception escape; it ends the response instead (finish does that).
            error = ex;
        }

        try
        {
            await finish(error);
        }
        finally
        {
            application.DisposeContext(context, error);
        }
    }
}
