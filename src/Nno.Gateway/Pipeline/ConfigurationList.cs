using Microsoft.Extensions.Configuration;

namespace Nno.Gateway.Pipeline;

/// <summary>Reads a list setting given either as children (<c>Key:0</c>, <c>Key:1</c> …) or as one comma-separated value.</summary>
internal static class ConfigurationList
{
    /// <summary>The entries, or null when the setting is absent (an empty value is an empty list).</summary>
    public static IReadOnlyList<string>? Read(IConfigurationSection section)
    {
        if (section.Value is { } value)
        {
            return value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        }

        var children = section.GetChildren().Select(c => c.Value?.Trim()).OfType<string>().Where(v => v.Length > 0).ToArray();
        return children.Length == 0 && !section.Exists() ? null : children;
    }
}
