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
/// that Furrow does not keep; clauses and sorts naming it are refused. <see cref="Words"/>, for a string column that
/// only ever holds a fixed set of words (states, run types, kinds), lists them as stored (lower case): a clause comparing
/// it with any other word is refused naming the word, since it could match nothing.
/// </summary>
public sealed record QueryColumn(string Name, QueryColumnType Type, bool Recorded = true, IReadOnlyList<string>? Words = null)
{
    public bool IsNumeric => Type is QueryColumnType.Int or QueryColumnType.Float;

    public bool IsList => Type is QueryColumnType.StringList or QueryColumnType.IntList;
}
