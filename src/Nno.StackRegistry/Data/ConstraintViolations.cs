using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Nno.StackRegistry.Data;

/// <summary>Recognises a unique-index violation (SQLite constraint error), the signal that a concurrent writer won.</summary>
internal static class ConstraintViolations
{
    private const int SqliteConstraint = 19;

    public static bool IsUnique(DbUpdateException exception) =>
        exception?.InnerException is SqliteException { SqliteErrorCode: SqliteConstraint } sqlite
        && sqlite.SqliteExtendedErrorCode is 2067 /* UNIQUE */ or 1555 /* PRIMARY KEY */;
}
