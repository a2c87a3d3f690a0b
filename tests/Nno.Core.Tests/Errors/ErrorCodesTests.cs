using System.Text.Json;
using Nno.Core.Errors;
using Nno.Core.Json;

namespace Nno.Core.Tests.Errors;

public sealed class ErrorCodesTests
{
    // 00-system §7, verbatim.
    public static TheoryData<string, int> SpecCodes => new()
    {
        { "VALIDATION_ERROR", 400 },
        { "UNAUTHORIZED", 401 },
        { "FORBIDDEN", 403 },
        { "PLATFORM_SUSPENDED", 403 },
        { "PLATFORM_INACTIVE", 403 },
        { "TIER_LIMIT_EXCEEDED", 403 },
        { "NOT_FOUND", 404 },
        { "METHOD_NOT_ALLOWED", 405 },
        { "CONFLICT", 409 },
        { "INVALID_TRANSITION", 409 },
        { "PAYLOAD_TOO_LARGE", 413 },
        { "UNSUPPORTED_MEDIA_TYPE", 415 },
        { "RATE_LIMITED", 429 },
        { "INTERNAL_ERROR", 500 },
        { "NOT_IMPLEMENTED", 501 },
        { "BAD_GATEWAY", 502 },
        { "SERVICE_UNAVAILABLE", 503 },
        { "UPSTREAM_TIMEOUT", 504 },
    };

    [Theory]
    [MemberData(nameof(SpecCodes))]
    public void StatusOf_EveryCode_MatchesSpec(string code, int status)
    {
        Assert.Equal(status, ErrorCodes.StatusOf(code));
        Assert.Equal(status, new ApiException(code, "m").Status);
    }

    [Fact]
    public void All_IsExactlyTheSpecList()
    {
        var spec = SpecCodes.Select(row => (string)row[0]).Order(StringComparer.Ordinal);
        Assert.Equal(spec, ErrorCodes.All.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("validation_error")]
    [InlineData("TEAPOT")]
    [InlineData("")]
    public void StatusOf_UnknownCode_Throws(string code)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ErrorCodes.StatusOf(code));
    }

    [Theory]
    [InlineData(400, "VALIDATION_ERROR")]
    [InlineData(401, "UNAUTHORIZED")]
    [InlineData(403, "FORBIDDEN")]
    [InlineData(404, "NOT_FOUND")]
    [InlineData(405, "METHOD_NOT_ALLOWED")]
    [InlineData(409, "CONFLICT")]
    [InlineData(413, "PAYLOAD_TOO_LARGE")]
    [InlineData(415, "UNSUPPORTED_MEDIA_TYPE")]
    [InlineData(429, "RATE_LIMITED")]
    [InlineData(500, "INTERNAL_ERROR")]
    [InlineData(501, "NOT_IMPLEMENTED")]
    [InlineData(502, "BAD_GATEWAY")]
    [InlineData(503, "SERVICE_UNAVAILABLE")]
    [InlineData(504, "UPSTREAM_TIMEOUT")]
    [InlineData(505, "INTERNAL_ERROR")]
    [InlineData(599, "INTERNAL_ERROR")]
    [InlineData(422, "VALIDATION_ERROR")]
    [InlineData(431, "VALIDATION_ERROR")]
    public void ForStatus_MapsBareStatuses(int status, string code)
    {
        Assert.Equal(code, ErrorCodes.ForStatus(status));
    }

    [Theory]
    [MemberData(nameof(SpecCodes))]
    public void ForStatus_OfEverySpecStatus_GivesACodeWithThatStatus(string code, int status)
    {
        _ = code;
        Assert.Equal(status, ErrorCodes.StatusOf(ErrorCodes.ForStatus(status)));
    }

    [Fact]
    public void Validation_NamesFieldsInDetails()
    {
        var ex = ApiException.Validation("limit", "must be an integer from 1 to 100");
        Assert.Equal(["must be an integer from 1 to 100"], ValidationAssert.Fields(ex, "limit"));
        Assert.Contains("limit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NotFound_And_Unavailable_CarryTheirDetails()
    {
        var notFound = ApiException.NotFound("platform");
        Assert.Equal(404, notFound.Status);
        Assert.Equal(ErrorCodes.NotFound, notFound.Code);
        Assert.Equal("platform", JsonSerializer.SerializeToElement(notFound.Details, NnoJson.Options).GetProperty("resource").GetString());

        var unavailable = ApiException.Unavailable("Try later.", 30);
        Assert.Equal(503, unavailable.Status);
        Assert.Equal("30", unavailable.Headers["retry-after"]);
    }

    [Fact]
    public void Envelope_SerializesSpecShapeWithNulls()
    {
        var envelope = ErrorEnvelope.Create(ErrorCodes.NotFound, "The platform was not found.", null, "req-1");
        Assert.Equal(
            """{"error":{"code":"NOT_FOUND","message":"The platform was not found.","details":null,"requestId":"req-1"}}""",
            JsonSerializer.Serialize(envelope, NnoJson.Options));
    }
}
