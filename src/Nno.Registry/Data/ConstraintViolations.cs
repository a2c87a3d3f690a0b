using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Nno.Registry.Data;

/// <summary>Recognises the database refusing a write on a unique key (a slug or name taken by a concurrent insert).</summary>
internal static class ConstraintViolations
{
    private const int SqliteConstraint = 19;

    public static bool IsUniqueViolation(DbUpdateException exception) =>
        exception?.InnerException is SqliteException { SqliteErrorCode: SqliteConstraint } sqlite
        && (sqlite.SqliteExtendedErrorCode is 2067 /* UNIQUE */ or 1555 /* PRIMARY KEY */);
}
