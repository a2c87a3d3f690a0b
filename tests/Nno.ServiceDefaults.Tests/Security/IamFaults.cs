using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Nno.ServiceDefaults.Tests.Security;

/// <summary>Counts IAM's token and JWKS requests and can make either answer 503, as an outage would.</summary>
public sealed class IamFaults
{
    private int _tokenRequests;
    private int _jwksRequests;

    public bool FailTokens { get; set; }

    public bool FailJwks { get; set; }

    public int TokenRequests => Volatile.Read(ref _tokenRequests);

    public int JwksRequests => Volatile.Read(ref _jwksRequests);

    public void Attach(string service, WebApplication app)
    {
        if (service != "iam")
        {
            return;
        }

        app.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value;
            if (path == "/api/nno/service-token")
            {
                Interlocked.Increment(ref _tokenRequests);
                if (FailTokens)
                {
                    context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    return;
                }
            }
            else if (path == "/api/nno/jwks")
            {
                Interlocked.Increment(ref _jwksRequests);
                if (FailJwks)
                {
                    context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    return;
                }
            }

            await next(context);
        });
    }
}
