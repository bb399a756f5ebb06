using System.Globalization;

namespace Furrow.Core.Query;

/// <summary>Comparison operators of the clause language.</summary>
public enum CompareOp
{
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// <summary>Ordering and truth rules shared by filters and sorting: the meaning a store's translation must keep.</summary>
public static class QueryCompare
{
    public static bool TryParseOp(string text, out CompareOp op)
    {
        (var ok, op) = text switch
        {
            "=" or "==" => (true, CompareOp.Eq),
            "!=" or "<>" => (true, CompareOp.Ne),
            "<" => (true, CompareOp.Lt),
            "<=" => (true, CompareOp.Le),
            ">" => (true, CompareOp.Gt),
            ">=" => (true, CompareOp.Ge),
            _ => (false, CompareOp.Eq),
        };
        return ok;
    }

    public static string Symbol(CompareOp op) => op switch
    {
        CompareOp.Eq => "=",
        CompareOp.Ne => "!=",
        CompareOp.Lt => "<",
        CompareOp.Le => "<=",
        CompareOp.Gt => ">",
        _ => ">=",
    };

    /// <summary>
    /// Orders two scalars: numerically when both are numbers (times count as Unix seconds against numbers),
    /// by instant when both are times, ordinally (case-sensitive) as text otherwise. Null when either is null.
    /// </summary>
    public static int? Compare(in QueryValue a, in QueryValue b)
    {
        if (a.IsNull || b.IsNull)
            return null;
        if (a.Kind == QueryValueKind.Time && b.Kind == QueryValueKind.Time)
            return a.AsTime.UtcTicks.CompareTo(b.AsTime.UtcTicks);
        if (a.Kind == QueryValueKind.String && b.Kind == QueryValueKind.String)
            return string.CompareOrdinal(a.AsString, b.AsString);
        if (TryNumber(a, out var x, out var xIsInt, out var xInt) && TryNumber(b, out var y, out var yIsInt, out var yInt))
            return xIsInt && yIsInt ? xInt.CompareTo(yInt) : x.CompareTo(y);
        return string.CompareOrdinal(a.ToText(), b.ToText());
    }

    /// <summary>Applies <paramref name="op"/>; a list on the left matches when any element does (so `=` means contains).</summary>
    public static bool Apply(in QueryValue left, CompareOp op, in QueryValue right)
    {
        if (op == CompareOp.Ne)
            return !Apply(left, CompareOp.Eq, right);
        if (left.Kind == QueryValueKind.StringList)
        {
            foreach (var item in left.AsStringList)
            {
                if (Holds(Compare(QueryValue.From(item), right), op))
                    return true;
            }

            return false;
        }

        if (left.Kind == QueryValueKind.IntList)
        {
            foreach (var item in left.AsIntList)
            {
                if (Holds(Compare(QueryValue.From(item), right), op))
                    return true;
            }

            return false;
        }

        return Holds(Compare(left, right), op);
    }

    private static bool Holds(int? order, CompareOp op) => order is { } o && op switch
    {
        CompareOp.Eq => o == 0,
        CompareOp.Lt => o < 0,
        CompareOp.Le => o <= 0,
        CompareOp.Gt => o > 0,
        CompareOp.Ge => o >= 0,
        _ => o != 0,
    };

    /// <summary>A bare attribute's truth: set, non-zero, non-empty; a time counts when after the Unix epoch.</summary>
    public static bool IsTrue(in QueryValue v) => v.Kind switch
    {
        QueryValueKind.Int or QueryValueKind.Bool => v.AsInt != 0,
        QueryValueKind.Float => v.AsFloat != 0 && !double.IsNaN(v.AsFloat),
        QueryValueKind.String => v.AsString.Length > 0,
        QueryValueKind.Time => v.AsTime > DateTimeOffset.UnixEpoch,
        QueryValueKind.StringList => v.AsStringList.Count > 0,
        QueryValueKind.IntList => v.AsIntList.Count > 0,
        _ => false,
    };

    private static bool TryNumber(in QueryValue v, out double number, out bool isInt, out long integer)
    {
        isInt = v.Kind is QueryValueKind.Int or QueryValueKind.Bool;
        integer = v.AsInt;
        number = v.AsFloat;
        switch (v.Kind)
        {
            case QueryValueKind.Int or QueryValueKind.Float or QueryValueKind.Bool:
                return true;
            case QueryValueKind.Time:
                number = (v.AsTime - DateTimeOffset.UnixEpoch).TotalSeconds;
                return true;
            case QueryValueKind.String:
                if (long.TryParse(v.AsString, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out integer))
                {
                    isInt = true;
                    number = integer;
                    return true;
                }

                return double.TryParse(v.AsString, NumberStyles.Float, CultureInfo.InvariantCulture, out number);
            default:
                return false;
        }
    }
}
