using System.Net;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Nno.Provisioning.Cloudflare;
using Nno.ServiceDefaults.Hosting;

namespace Nno.Provisioning.Tests.Cloudflare;

/// <summary>
/// The Cloudflare registration exactly as the service builds it (budget handler, GET retry, typed client) over a
/// configuration; optionally with a scripted answerer in place of the network, the edge of the world.
/// </summary>
internal static class CloudflareTestServices
{
    public static ServiceProvider Build(IDictionary<string, string?>? settings = null, ScriptedCloudflare? network = null, TimeProvider? time = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Cloudflare:GetRetryDelayMs"] = "1",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(all).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddOptions<NnoOptions>().Bind(configuration.GetSection(NnoOptions.Section));
        services.AddSingleton(time ?? new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));
        services.AddCloudflare();
        if (network is not null)
        {
            services.AddHttpClient(CloudflareClient.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => network);
        }

        return services.BuildServiceProvider();
    }
}

/// <summary>Answers requests from a script and records what it was sent.</summary>
internal sealed class ScriptedCloudflare : HttpMessageHandler
{
    private readonly Queue<Func<HttpRequestMessage, HttpResponseMessage>> _answers = new();

    public List<(HttpMethod Method, Uri Uri, string? Body)> Requests { get; } = [];

    public ScriptedCloudflare Then(Func<HttpRequestMessage, HttpResponseMessage> answer)
    {
        _answers.Enqueue(answer);
        return this;
    }

    public ScriptedCloudflare Then(HttpStatusCode status, string body, Action<HttpResponseMessage>? headers = null) =>
        Then(_ =>
        {
            var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            headers?.Invoke(response);
            return response;
        });

    public ScriptedCloudflare ThenOk(string resultJson, string? resultInfo = null) =>
        Then(HttpStatusCode.OK, $$"""{"success":true,"errors":[],"messages":[],"result":{{resultJson}}{{(resultInfo is null ? "" : ",\"result_info\":" + resultInfo)}}}""");

    public ScriptedCloudflare ThenError(HttpStatusCode status, int code, string message, Action<HttpResponseMessage>? headers = null) =>
        Then(status, $$"""{"success":false,"errors":[{"code":{{code}},"message":"{{message}}"}],"messages":[],"result":null}""", headers);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Add((request.Method, request.RequestUri!, body));
        if (!_answers.TryDequeue(out var answer))
        {
            throw new InvalidOperationException($"No scripted answer for {request.Method} {request.RequestUri}.");
        }

        var response = answer(request);
        response.RequestMessage = request;
        return response;
    }
}
