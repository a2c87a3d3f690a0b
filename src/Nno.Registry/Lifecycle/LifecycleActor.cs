using Nno.Registry.Access;

namespace Nno.Registry.Lifecycle;

/// <summary>
/// Who performs a lifecycle transition: a route's caller (audited with the caller's auth and request ids) or a system
/// worker (actor type <c>system</c>, no request).
/// </summary>
internal sealed record LifecycleActor(string ActorType, string ActorId, string? RequestId, RegistryCaller? Caller)
{
    /// <summary>The caller of a lifecycle route.</summary>
    public static LifecycleActor Of(RegistryCaller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return new(caller.ActorType, caller.ActorId, caller.RequestId, caller);
    }

    /// <summary>A system worker named <paramref name="worker"/> (e.g. <c>lifecycle-sweep</c>).</summary>
    public static LifecycleActor System(string worker) => new(ActorTypes.System, worker, null, null);
}
