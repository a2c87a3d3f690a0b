namespace Nno.Sandbox.Cloudflare.Kv;

/// <summary>
/// KV codes: 10009 (key not found) and 10014 (duplicate title) are Cloudflare's own and clients may test them; the
/// rest are the emulator's choice, so clients key on the HTTP status.
/// </summary>
internal static class KvErrorCodes
{
    public const int KeyNotFound = 10009;
    public const int NamespaceNotFound = 10013;
    public const int DuplicateTitle = 10014;
    public const int InvalidKey = 10016;
    public const int KeyTooLong = 10017;
    public const int ValueTooLarge = 10011;
    public const int InvalidExpiration = 10033;
    public const int MetadataTooLarge = 10022;
    public const int InvalidMetadata = 10023;
    public const int InvalidCursor = 10024;
    public const int TooManyBulkItems = 10026;
}
