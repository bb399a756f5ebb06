namespace Furrow.Core.Query;

/// <summary>A table that tq and the query API can search.</summary>
public enum QueryTable
{
    Jobs,
    Tasks,
    Commands,
    Invocations,
    Blades,
    Params,
    Notes,
}

/// <summary>How the query language reads and compares a column's values.</summary>
public enum QueryColumnType
{
    Int,
    Float,
    String,
    Time,
    Bool,
    StringList,
    IntList,
}

/// <summary>
/// One searchable column: its canonical name and type. <see cref="Recorded"/> is false for a column of Tractor's schema
/// that Furrow does not keep; clauses and sorts naming it are refused.
/// </summary>
public sealed record QueryColumn(string Name, QueryColumnType Type, bool Recorded = true)
{
    public bool IsNumeric => Type is QueryColumnType.Int or QueryColumnType.Float;

    public bool IsList => Type is QueryColumnType.StringList or QueryColumnType.IntList;
}
