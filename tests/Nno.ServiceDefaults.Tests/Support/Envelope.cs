using System.Net;
using System.Text.Json;

namespace Nno.ServiceDefaults.Tests.Support;

/// <summary>Reads and checks the error envelope of 00-system §7.</summary>
public static class Envelope
{
    /// <summary>Asserts status, JSON content type, <c>error.code</c> and a non-empty <c>error.requestId</c> equal to <c>X-Request-Id</c>; returns <c>error</c>.</summary>
    public static async Task<JsonElement> AssertAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status} but got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(text);
        var error = document.RootElement.GetProperty("error").Clone();
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        var requestId = error.GetProperty("requestId").GetString();
        Assert.False(string.IsNullOrWhiteSpace(requestId));
        Assert.Equal(requestId, response.Headers.GetValues("X-Request-Id").Single());
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        return error;
    }

    /// <summary>Asserts a 400 <c>VALIDATION_ERROR</c> naming <paramref name="field"/> in <c>details.fields</c>; returns its problems.</summary>
    public static async Task<string[]> AssertValidationAsync(HttpResponseMessage response, string field)
    {
        var error = await AssertAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var fields = error.GetProperty("details").GetProperty("fields");
        Assert.True(fields.TryGetProperty(field, out var problems), $"details.fields does not name '{field}': {fields}");
        var list = problems.EnumerateArray().Select(p => p.GetString()!).ToArray();
        Assert.NotEmpty(list);
        return list;
    }
}
