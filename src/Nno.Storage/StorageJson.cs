using System.Text.Json;
using System.Text.Json.Serialization;
using Nno.Core.Json;

namespace Nno.Storage;

/// <summary>
/// JSON options for stored values, metadata and message bodies: NNO's wire conventions (camelCase, enums as strings,
/// ISO-8601 UTC) but tolerant of unknown members, so an older reader keeps working when a newer writer adds a field.
/// </summary>
public static class StorageJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(NnoJson.Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
