using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Nno.ServiceDefaults.Logging;

/// <summary>A log category held at Warning (see <see cref="HeldLogCategories.HoldAtWarning"/>).</summary>
public sealed record HeldLogCategory(string Category);

/// <summary>
/// Log categories that write request URLs with their query strings (ASP.NET Core's request log, YARP's forwarder):
/// magic-link and OAuth tokens travel in query strings, so these categories never log below Warning, whatever the
/// configuration says. A rule added in code after configuration wins over the same category there; a per-provider copy
/// of it, added once every provider is known, wins over provider-specific settings (<c>Logging:Console:LogLevel:…</c>).
/// </summary>
public static class HeldLogCategories
{
    /// <summary>Holds <paramref name="category"/> (and the categories below it) at Warning for every provider.</summary>
    public static ILoggingBuilder HoldAtWarning(this ILoggingBuilder logging, string category)
    {
        ArgumentNullException.ThrowIfNull(logging);
        ArgumentException.ThrowIfNullOrEmpty(category);
        logging.AddFilter(category, LogLevel.Warning);
        logging.Services.AddSingleton(new HeldLogCategory(category));
        return logging;
    }

    /// <summary>Adds the per-provider rules for every held category (once per application).</summary>
    internal static void AddProviderRules(IServiceCollection services) =>
        services.AddOptions<LoggerFilterOptions>().PostConfigure<IEnumerable<ILoggerProvider>, IEnumerable<HeldLogCategory>>((filters, providers, held) =>
        {
            var categories = held.Select(h => h.Category).Distinct(StringComparer.Ordinal).ToList();
            foreach (var provider in providers.Select(p => p.GetType().FullName).Distinct(StringComparer.Ordinal))
            {
                foreach (var category in categories)
                {
                    filters.Rules.Add(new LoggerFilterRule(provider, category, LogLevel.Warning, filter: null));
                }
            }
        });
}
