using System.Collections;
using System.Globalization;

namespace Furrow.Core.Query;

/// <summary>Kinds of value a row can hold for a column.</summary>
public enum QueryValueKind : byte
{
    Null,
    Int,
    Float,
    String,
    Bool,
    Time,
    StringList,
    IntList,
}

/// <summary>A column value from a row, or a literal from a clause; a small struct so rows need not box.</summary>
public readonly struct QueryValue : IEquatable<QueryValue>
{
    // Int, Bool (0/1) and Time (UTC ticks) share the integer slot; strings and lists share the reference slot.
    private readonly long _integer;
    private readonly double _float;
    private readonly object? _reference;

    private QueryValue(QueryValueKind kind, long integer, double @float, object? reference)
    {
        Kind = kind;
        _integer = integer;
        _float = @float;
        _reference = reference;
    }

    public QueryValueKind Kind { get; }

    public static QueryValue Null => default;

    public bool IsNull => Kind == QueryValueKind.Null;

    public bool IsNumeric => Kind is QueryValueKind.Int or QueryValueKind.Float;

    public bool IsList => Kind is QueryValueKind.StringList or QueryValueKind.IntList;

    /// <summary>The number (floats truncate; booleans are 0 or 1); 0 for other kinds.</summary>
    public long AsInt => Kind switch
    {
        QueryValueKind.Float => (long)_float,
        QueryValueKind.Int or QueryValueKind.Bool => _integer,
        _ => 0,
    };

    public double AsFloat => Kind == QueryValueKind.Float ? _float : AsInt;

    public bool AsBool => _integer != 0;

    /// <summary>The instant, in UTC; <see cref="DateTimeOffset.MinValue"/> for other kinds.</summary>
    public DateTimeOffset AsTime => Kind == QueryValueKind.Time ? new(_integer, TimeSpan.Zero) : DateTimeOffset.MinValue;

    public string AsString => _reference as string ?? "";

    public IReadOnlyList<string> AsStringList => _reference as IReadOnlyList<string> ?? [];

    public IReadOnlyList<long> AsIntList => _reference as IReadOnlyList<long> ?? [];

    public static QueryValue From(long value) => new(QueryValueKind.Int, value, 0, null);

    public static QueryValue From(double value) => new(QueryValueKind.Float, 0, value, null);

    public static QueryValue From(bool value) => new(QueryValueKind.Bool, value ? 1 : 0, 0, null);

    public static QueryValue From(string? value) =>
        value is null ? default : new(QueryValueKind.String, 0, 0, value);

    public static QueryValue From(DateTimeOffset value) => new(QueryValueKind.Time, value.UtcTicks, 0, null);

    public static QueryValue From(DateTimeOffset? value) => value is { } v ? From(v) : default;

    public static QueryValue From(IReadOnlyList<string>? value) =>
        value is null ? default : new(QueryValueKind.StringList, 0, 0, value);

    public static QueryValue From(IReadOnlyList<long>? value) =>
        value is null ? default : new(QueryValueKind.IntList, 0, 0, value);

    /// <summary>Converts a plain CLR value (as found in a dictionary or JSON-ish row) to a query value.</summary>
    public static QueryValue FromObject(object? value) => value switch
    {
        null => default,
        QueryValue v => v,
        string s => From(s),
        bool b => From(b),
        long l => From(l),
        int i => From(i),
        short s16 => From(s16),
        byte u8 => From(u8),
        uint u32 => From(u32),
        double d => From(d),
        float f => From(f),
        decimal m => From((double)m),
        DateTimeOffset t => From(t),
        DateTime dt => From(dt.Kind == DateTimeKind.Unspecified
            ? new DateTimeOffset(dt, TimeSpan.Zero)
            : new DateTimeOffset(dt.ToUniversalTime(), TimeSpan.Zero)),
        IReadOnlyList<string> list => From(list),
        IReadOnlyList<long> list => From(list),
        IEnumerable<int> ints => From(ints.Select(i => (long)i).ToArray()),
        IEnumerable<long> longs => From(longs.ToArray()),
        IEnumerable e => From(e.Cast<object?>().Select(o => Convert.ToString(o, CultureInfo.InvariantCulture) ?? "").ToArray()),
        _ => From(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };

    /// <summary>Text form used by `like` and by string comparisons against non-string values.</summary>
    public string ToText() => Kind switch
    {
        QueryValueKind.Null => "",
        QueryValueKind.Int => _integer.ToString(CultureInfo.InvariantCulture),
        QueryValueKind.Float => _float.ToString("R", CultureInfo.InvariantCulture),
        QueryValueKind.String => AsString,
        QueryValueKind.Bool => AsBool ? "true" : "false",
        QueryValueKind.Time => AsTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        QueryValueKind.StringList => string.Join(",", AsStringList),
        QueryValueKind.IntList => string.Join(",", AsIntList),
        _ => "",
    };

    public override string ToString() => Kind == QueryValueKind.String ? $"'{AsString}'" : ToText();

    public bool Equals(QueryValue other) =>
        Kind == other.Kind && _integer == other._integer && _float.Equals(other._float) && Equals(_reference, other._reference);

    public override bool Equals(object? obj) => obj is QueryValue other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Kind, _integer, _float, _reference);

    public static bool operator ==(QueryValue left, QueryValue right) => left.Equals(right);

    public static bool operator !=(QueryValue left, QueryValue right) => !left.Equals(right);
}
