using System.Text;
using System.Text.RegularExpressions;

namespace Furrow.Core.Query;

/// <summary>
/// A node of a compiled clause. The tree is public so a store can translate it (to SQL); <see cref="Evaluate"/> is the
/// reference meaning every translation must agree with, row for row.
/// </summary>
public abstract class QueryNode
{
    private protected QueryNode()
    {
    }

    /// <summary>Whether <paramref name="row"/> matches; never throws for a missing or null value (it does not match).</summary>
    public abstract bool Evaluate(IQueryRow row);

    /// <summary>Writes a fully parenthesised form, which shows how the clause was grouped.</summary>
    public abstract void Render(StringBuilder sb);
}

/// <summary>The empty clause: every row.</summary>
public sealed class MatchAllNode : QueryNode
{
    private MatchAllNode()
    {
    }

    public static MatchAllNode Instance { get; } = new();

    public override bool Evaluate(IQueryRow row) => true;

    public override void Render(StringBuilder sb) => sb.Append("true");
}

public sealed class AndNode(QueryNode left, QueryNode right) : QueryNode
{
    public QueryNode Left => left;

    public QueryNode Right => right;

    public override bool Evaluate(IQueryRow row) => left.Evaluate(row) && right.Evaluate(row);

    public override void Render(StringBuilder sb)
    {
        sb.Append('(');
        left.Render(sb);
        sb.Append(" and ");
        right.Render(sb);
        sb.Append(')');
    }
}

public sealed class OrNode(QueryNode left, QueryNode right) : QueryNode
{
    public QueryNode Left => left;

    public QueryNode Right => right;

    public override bool Evaluate(IQueryRow row) => left.Evaluate(row) || right.Evaluate(row);

    public override void Render(StringBuilder sb)
    {
        sb.Append('(');
        left.Render(sb);
        sb.Append(" or ");
        right.Render(sb);
        sb.Append(')');
    }
}

/// <summary>Two-valued negation: a row the inner test does not match (a null value included) matches.</summary>
public sealed class NotNode(QueryNode inner) : QueryNode
{
    public QueryNode Inner => inner;

    public override bool Evaluate(IQueryRow row) => !inner.Evaluate(row);

    public override void Render(StringBuilder sb)
    {
        sb.Append("(not ");
        inner.Render(sb);
        sb.Append(')');
    }
}

/// <summary>A bare attribute such as `jid` or `stoptime`: true when set, as <see cref="QueryCompare.IsTrue"/> says.</summary>
public sealed class TruthNode(string key, QueryColumn column) : QueryNode
{
    /// <summary>The row key: the column's canonical name, or `job.column` for the job's column on another table.</summary>
    public string Key => key;

    public QueryColumn Column => column;

    public override bool Evaluate(IQueryRow row) => QueryCompare.IsTrue(row.Get(key));

    public override void Render(StringBuilder sb) => sb.Append(key);
}

/// <summary>`column op literal`; the literal already has the column's type (a time, a number, a string ...).</summary>
public sealed class CompareNode(string key, QueryColumn column, CompareOp op, QueryValue literal) : QueryNode
{
    public string Key => key;

    public QueryColumn Column => column;

    public CompareOp Op => op;

    public QueryValue Literal => literal;

    public override bool Evaluate(IQueryRow row) => QueryCompare.Apply(row.Get(key), op, literal);

    public override void Render(StringBuilder sb) =>
        sb.Append('(').Append(key).Append(' ').Append(QueryCompare.Symbol(op)).Append(' ').Append(literal).Append(')');
}

/// <summary>Compares two columns of the same row; the jobs shorthand `done` is `numdone = numtasks`.</summary>
public sealed class ColumnCompareNode(string leftKey, QueryColumn left, CompareOp op, string rightKey, QueryColumn right) : QueryNode
{
    public string LeftKey => leftKey;

    public QueryColumn Left => left;

    public CompareOp Op => op;

    public string RightKey => rightKey;

    public QueryColumn Right => right;

    public override bool Evaluate(IQueryRow row) => QueryCompare.Apply(row.Get(leftKey), op, row.Get(rightKey));

    public override void Render(StringBuilder sb) =>
        sb.Append('(').Append(leftKey).Append(' ').Append(QueryCompare.Symbol(op)).Append(' ').Append(rightKey).Append(')');
}

/// <summary>`column in [a, b]`: equal to any item.</summary>
public sealed class InNode(string key, QueryColumn column, QueryValue[] items) : QueryNode
{
    public string Key => key;

    public QueryColumn Column => column;

    public IReadOnlyList<QueryValue> Items => items;

    public override bool Evaluate(IQueryRow row)
    {
        var value = row.Get(key);
        foreach (var item in items)
        {
            if (QueryCompare.Apply(value, CompareOp.Eq, item))
                return true;
        }

        return false;
    }

    public override void Render(StringBuilder sb) =>
        sb.Append('(').Append(key).Append(" in [").AppendJoin(", ", items).Append("])");
}

/// <summary>
/// `like`: a case-insensitive regular-expression search of the value's text (<see cref="QueryValue.ToText"/>; any item
/// of a list), as PostgreSQL's `~*` does for Tractor. A match that runs past the timeout is an error
/// (<see cref="QueryMatchTimeoutException"/>), never "no match": under `not` that would select every row it gave up on.
/// </summary>
public sealed class LikeNode(string key, QueryColumn column, Regex regex) : QueryNode
{
    public string Key => key;

    public QueryColumn Column => column;

    /// <summary>The pattern as the user wrote it.</summary>
    public string Pattern => regex.ToString();

    /// <summary>The compiled pattern, case-insensitive, culture-invariant, with the clause language's match timeout.</summary>
    public Regex Regex => regex;

    public override bool Evaluate(IQueryRow row)
    {
        var value = row.Get(key);
        switch (value.Kind)
        {
            case QueryValueKind.Null:
                return false;
            case QueryValueKind.StringList:
                foreach (var item in value.AsStringList)
                {
                    if (IsMatch(item))
                        return true;
                }

                return false;
            case QueryValueKind.IntList:
                foreach (var item in value.AsIntList)
                {
                    if (IsMatch(QueryValue.From(item).ToText()))
                        return true;
                }

                return false;
            default:
                return IsMatch(value.ToText());
        }
    }

    /// <summary>
    /// Tests one text as the node does; a match past the timeout throws <see cref="QueryMatchTimeoutException"/>, so a
    /// pathological pattern can neither stall a scan nor be taken for an answer.
    /// </summary>
    public bool IsMatch(string text)
    {
        try
        {
            return regex.IsMatch(text);
        }
        catch (RegexMatchTimeoutException timeout)
        {
            throw new QueryMatchTimeoutException(regex.ToString(), regex.MatchTimeout, timeout);
        }
    }

    public override void Render(StringBuilder sb) =>
        sb.Append('(').Append(key).Append(" like '").Append(regex).Append("')");
}

/// <summary>
/// A `like` pattern that took longer than its match timeout on one value: the clause has no answer, so it is refused
/// (a 400, the query's own error) rather than counted as a match or a mismatch.
/// </summary>
public sealed class QueryMatchTimeoutException(string pattern, TimeSpan timeout, Exception? inner = null)
    : Exception(Describe(pattern, timeout), inner)
{
    /// <summary>The pattern as the user wrote it.</summary>
    public string Pattern => pattern;

    /// <summary>What the error says: the pattern (at most 200 characters of it) and what to do.</summary>
    public static string Describe(string pattern, TimeSpan timeout)
    {
        const int Shown = 200;
        var shown = pattern.Length <= Shown ? pattern : $"{pattern[..Shown]}... ({pattern.Length - Shown} more characters)";
        return $"like '{shown}' took too long on a value (more than {timeout.TotalMilliseconds:0} ms) and was stopped: " +
            "use a simpler pattern (e.g. no nested repeats such as (a+)+)";
    }
}
