namespace Nno.Storage;

/// <summary>Where embedded storage keeps its files.</summary>
internal static class StoragePaths
{
    public static string RequireDataDir(NnoStorageOptions options) =>
        string.IsNullOrWhiteSpace(options.DataDir)
            ? throw new InvalidOperationException("Nno:Storage:DataDir is not set (AddNnoEmbeddedStorage resolves it from Nno:DataDir).")
            : Path.GetFullPath(options.DataDir);
}
