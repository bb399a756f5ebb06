using System.Text;
using System.Text.RegularExpressions;

namespace Furrow.Core.Query;

/// <summary>A node of a compiled clause.</summary>
internal abstract class QueryNode
{
    public abstract bool Evaluate(IQueryRow row);

    /// <summary>Writes a fully parenthesised form, which shows how the clause was grouped.</summary>
    public abstract void Render(StringBuilder sb);
}

internal sealed class MatchAllNode : QueryNode
{
    public static MatchAllNode Instance { get; } = new();

    public override bool Evaluate(IQueryRow row) => true;

    public override void Render(StringBuilder sb) => sb.Append("true");
}

internal sealed class AndNode(QueryNode left, QueryNode right) : QueryNode
{
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

internal sealed class OrNode(QueryNode left, QueryNode right) : QueryNode
{
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

internal sealed class NotNode(QueryNode inner) : QueryNode
{
    public override bool Evaluate(IQueryRow row) => !inner.Evaluate(row);

    public override void Render(StringBuilder sb)
    {
        sb.Append("(not ");
        inner.Render(sb);
        sb.Append(')');
    }
}

/// <summary>A bare attribute such as `jid` or `stoptime`.</summary>
internal sealed class TruthNode(string key) : QueryNode
{
    public override bool Evaluate(IQueryRow row) => QueryCompare.IsTrue(row.Get(key));

    public override void Render(StringBuilder sb) => sb.Append(key);
}

internal sealed class CompareNode(string key, CompareOp op, QueryValue literal) : QueryNode
{
    public override bool Evaluate(IQueryRow row) => QueryCompare.Apply(row.Get(key), op, literal);

    public override void Render(StringBuilder sb) =>
        sb.Append('(').Append(key).Append(' ').Append(QueryCompare.Symbol(op)).Append(' ').Append(literal).Append(')');
}

/// <summary>Compares two columns of the same row; the jobs shorthand `done` is `numdone = numtasks`.</summary>
internal sealed class ColumnCompareNode(string leftKey, CompareOp op, string rightKey) : QueryNode
{
    public override bool Evaluate(IQueryRow row) => QueryCompare.Apply(row.Get(leftKey), op, row.Get(rightKey));

    public override void Render(StringBuilder sb) =>
        sb.Append('(').Append(leftKey).Append(' ').Append(QueryCompare.Symbol(op)).Append(' ').Append(rightKey).Append(')');
}

internal sealed class InNode(string key, QueryValue[] items) : QueryNode
{
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

/// <summary>`like`: a case-insensitive regular-expression search, as PostgreSQL's `~*` does for Tractor.</summary>
internal sealed class LikeNode(string key, Regex regex) : QueryNode
{
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

    private bool IsMatch(string text)
    {
        try
        {
            return regex.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            // A pathological pattern must not stall the engine's scan; treat the row as not matching.
            return false;
        }
    }

    public override void Render(StringBuilder sb) =>
        sb.Append('(').Append(key).Append(" like '").Append(regex).Append("')");
}
