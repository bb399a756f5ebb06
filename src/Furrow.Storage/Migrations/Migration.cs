namespace Furrow.Storage.Migrations;

/// <summary>One numbered schema change with the SQL to apply it and to take it back.</summary>
public abstract class Migration
{
    public abstract int Version { get; }

    public abstract string Name { get; }

    public abstract IReadOnlyList<string> Up(SqlDialect dialect);

    public abstract IReadOnlyList<string> Down(SqlDialect dialect);
}

/// <summary>The few places where SQLite and PostgreSQL SQL differ.</summary>
public enum SqlDialect
{
    Sqlite,
    Postgres,
}
