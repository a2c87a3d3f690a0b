namespace Nno.Gateway.Tests.Flows;

/// <summary>
/// One platform shared by the flow tests of the <see cref="FlowCollection"/> (they run one after another; each uses its
/// own users, platform ids and organizations). The first operator is bootstrapped once, at start.
/// </summary>
public sealed class FlowFixture : IAsyncLifetime
{
    private FlowPlatform? _platform;

    public FlowPlatform Platform => _platform ?? throw new InvalidOperationException("Not started.");

    /// <summary>The bootstrapped operator's session token.</summary>
    public string OperatorToken { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _platform = await FlowPlatform.StartAsync();
        OperatorToken = await _platform.OperatorSessionAsync(FlowPlatform.NewEmail("operator"));
    }

    public async Task DisposeAsync()
    {
        if (_platform is not null)
        {
            await _platform.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class FlowCollection : ICollectionFixture<FlowFixture>
{
    public const string Name = "flows";
}
