using System.Globalization;
using System.Text.RegularExpressions;
using Furrow.Storage.Queries;
using Microsoft.Data.Sqlite;

namespace Furrow.Storage.Sqlite;

/// <summary>
/// The clause language's `like` inside SQLite: a function running .NET's regular expressions (case-insensitive,
/// culture-invariant, the parser's match timeout), so the embedded store matches exactly what the clause means. Numbers
/// reach it as numbers and are written as the clause language writes them.
/// </summary>
internal static class SqliteLike
{
    public const string FunctionName = "furrow_like";

    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Registers the function on <paramref name="connection"/> for one query: past <paramref name="deadline"/> (UTC) it
    /// throws, which ends the statement, so a pattern slow on every row cannot hold a reader for the whole table. A match
    /// past the match timeout on one value ends the statement too: the clause has no answer, and "no match" would be a
    /// wrong one (under `not`, a match). Microsoft.Data.Sqlite hands an exception thrown here back as a SqliteException
    /// carrying its message only, so the returned function gives the statement's caller the exception itself
    /// (<see cref="QueryRejectedException"/>, the query's 400), or null if the function threw none.
    /// </summary>
    public static Func<Exception?> Register(SqliteConnection connection, DateTime deadline, TimeSpan timeout)
    {
        Exception? failure = null;
        // The pattern is one parameter of the statement, the same on every row: built once, not looked up per row. The
        // connection runs one statement at a time, so one query's rows call this one after another.
        Regex? regex = null;
        connection.CreateFunction(FunctionName, (string pattern, object? value) =>
        {
            if (DateTime.UtcNow > deadline)
                throw new QueryTimeoutException(timeout);
            var text = value switch
            {
                null or DBNull => null,
                string s => s,
                long l => l.ToString(CultureInfo.InvariantCulture),
                double d => d.ToString("R", CultureInfo.InvariantCulture),
                _ => Convert.ToString(value, CultureInfo.InvariantCulture),
            };
            if (text is null)
                return 0L;
            try
            {
                if (regex is null || !string.Equals(regex.ToString(), pattern, StringComparison.Ordinal))
                    regex = new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, MatchTimeout);
                return regex.IsMatch(text) ? 1L : 0L;
            }
            catch (RegexMatchTimeoutException error)
            {
                var matchTimeout = new Furrow.Core.Query.QueryMatchTimeoutException(pattern, MatchTimeout, error);
                failure = new QueryRejectedException(matchTimeout.Message, matchTimeout);
                throw failure;
            }
        }, isDeterministic: false);
        return () => failure;
    }
}
