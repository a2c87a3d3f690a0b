using System.Diagnostics.Metrics;
using System.Net;
using Nno.Gateway.Tests.Support;

namespace Nno.Gateway.Tests;

/// <summary>A gateway alone (no upstream service running) in <c>stg</c>: connect failures, missing tokens, HSTS.</summary>
public sealed class DegradedGatewayTests : IAsyncLifetime
{
    private GatewayPlatform _platform = null!;

    public async Task InitializeAsync() =>
        _platform = await GatewayPlatform.StartAsync(["gateway"], new Dictionary<string, string?> { ["Nno:Environment"] = "stg" });

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Theory]
    [InlineData("/api/v1/billing/subscription", "billing")]
    [InlineData("/api/v1/iam/auth/sign-in/email", "iam")]
    [InlineData("/api/v1/cli", "cli")]
    public async Task UpstreamNotRunning_Returns503WithRetryAfterAndCountsIt(string path, string service)
    {
        long connectErrors = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Nno" && instrument.Name == "nno_gateway_upstream_errors_total")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var labels = tags.ToArray().ToDictionary(t => t.Key, t => t.Value as string);
            if (labels["service"] == service && labels["kind"] == "connect")
            {
                Interlocked.Add(ref connectErrors, value);
            }
        });
        listener.Start();

        using var response = await _platform.Service.PostAsync(path, new StringContent("{}"));

        var error = await Http.AssertEnvelopeAsync(response, HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
        Assert.Equal(service, error.GetProperty("details").GetProperty("service").GetString());
        Assert.Equal("5", Http.Header(response, "Retry-After"));
        Assert.True(Interlocked.Read(ref connectErrors) >= 1);
    }

    [Fact]
    public async Task StgResponses_CarryStrictTransportSecurity()
    {
        using var ok = await _platform.Gateway.GetAsync("/health");
        using var error = await _platform.Gateway.GetAsync("/api/v1/nowhere");

        Assert.Equal("max-age=31536000", Http.Header(ok, "Strict-Transport-Security"));
        Assert.Equal("max-age=31536000", Http.Header(error, "Strict-Transport-Security"));
        Assert.Equal("nosniff", Http.Header(error, "X-Content-Type-Options"));
    }

    [Fact]
    public async Task NoServiceToken_Returns503ForProxiedRequestsAndReadiness()
    {
        _platform.Tokens.Fail = true;
        try
        {
            using var proxied = await _platform.Gateway.PostAsync("/api/v1/billing/webhooks/stripe", new StringContent("{}"));
            using var ready = await _platform.Gateway.GetAsync("/health/ready");
            using var health = await _platform.Gateway.GetAsync("/health");

            await Http.AssertEnvelopeAsync(proxied, HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
            Assert.Equal("5", Http.Header(proxied, "Retry-After"));
            var readyError = await Http.AssertEnvelopeAsync(ready, HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
            Assert.Equal("failing", readyError.GetProperty("details").GetProperty("checks").GetProperty("serviceToken").GetString());
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        finally
        {
            _platform.Tokens.Fail = false;
        }
    }

    [Fact]
    public async Task TokenProviderCompletingLater_IsAwaitedBeforeForwarding()
    {
        _platform.Tokens.Asynchronous = true;
        try
        {
            // With a token the request gets as far as the (missing) upstream.
            using var forwarded = await _platform.Service.GetAsync("/api/v1/billing/plans");
            var error = await Http.AssertEnvelopeAsync(forwarded, HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
            Assert.Equal("billing", error.GetProperty("details").GetProperty("service").GetString());

            _platform.Tokens.Fail = true;
            using var refused = await _platform.Service.GetAsync("/api/v1/billing/plans");
            var tokenError = await Http.AssertEnvelopeAsync(refused, HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
            Assert.Equal(System.Text.Json.JsonValueKind.Null, tokenError.GetProperty("details").ValueKind);
            Assert.Equal("5", Http.Header(refused, "Retry-After"));
        }
        finally
        {
            _platform.Tokens.Fail = false;
            _platform.Tokens.Asynchronous = false;
        }
    }
}
