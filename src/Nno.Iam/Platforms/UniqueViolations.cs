using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Nno.Iam.Platforms;

/// <summary>Recognises a unique-index clash (a concurrent insert won the race) so it can be answered as 409, not 500.</summary>
internal static class UniqueViolations
{
    public static bool Is(DbUpdateException exception) =>
        exception?.InnerException is SqliteException { SqliteErrorCode: 19 } or DbException { SqlState: "23505" };
}
