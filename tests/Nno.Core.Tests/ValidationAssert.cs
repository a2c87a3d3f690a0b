using System.Text.Json;
using Nno.Core.Errors;
using Nno.Core.Json;

namespace Nno.Core.Tests;

/// <summary>Asserts that an action fails with 400 VALIDATION_ERROR naming a field, as the client would see it in details.fields.</summary>
internal static class ValidationAssert
{
    public static string[] Throws(string field, Action action)
    {
        var ex = Assert.Throws<ApiException>(action);
        return Fields(ex, field);
    }

    public static string[] Fields(ApiException ex, string field)
    {
        Assert.Equal(ErrorCodes.ValidationError, ex.Code);
        Assert.Equal(400, ex.Status);
        var details = JsonSerializer.SerializeToElement(ex.Details, NnoJson.Options);
        var fields = details.GetProperty("fields");
        Assert.True(fields.TryGetProperty(field, out var problems), $"details.fields should name '{field}' but was {fields}");
        var list = problems.EnumerateArray().Select(p => p.GetString()!).ToArray();
        Assert.NotEmpty(list);
        Assert.All(list, p => Assert.False(string.IsNullOrWhiteSpace(p)));
        return list;
    }
}
