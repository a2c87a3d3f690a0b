using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Nno.Iam.Data;

/// <summary>Recognises the database refusing a write on a key (the race losers of iam.md §4.12).</summary>
internal static class ConstraintViolations
{
    private const int SqliteConstraint = 19;

    /// <summary>True when <paramref name="exception"/> is a unique or primary-key clash.</summary>
    public static bool IsUniqueViolation(DbUpdateException exception) =>
        exception?.InnerException is SqliteException { SqliteErrorCode: SqliteConstraint } sqlite
        && (sqlite.SqliteExtendedErrorCode is 2067 /* UNIQUE */ or 1555 /* PRIMARY KEY */);
}
