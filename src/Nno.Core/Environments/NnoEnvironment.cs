namespace Nno.Core.Environments;

/// <summary>
/// The environment an NNO deployment runs in (00-system §3): <c>local</c>, <c>dev</c>, <c>stg</c>, <c>prod</c>.
/// Serialised as those lower-case names.
/// </summary>
public enum NnoEnvironment
{
    Local,
    Dev,
    Stg,
    Prod,
}

/// <summary>
/// The environment of a customer platform's resources as APIs take it: <c>dev</c>, <c>stg</c>, <c>prod</c> only
/// (00-system §3: "API enums use dev|stg|prod"). A separate type so an API body can never carry <c>local</c>.
/// </summary>
public enum PlatformEnvironment
{
    Dev,
    Stg,
    Prod,
}
