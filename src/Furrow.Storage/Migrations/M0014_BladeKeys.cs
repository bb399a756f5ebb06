namespace Furrow.Storage.Migrations;

/// <summary>
/// Blade enrolment: each blade name is bound to the key the engine issued at its enrolment, kept only as the SHA-256 of
/// the key (lowercase hex, so both providers hold the same text) with the time it was issued (Unix ms). A table of its own,
/// not a column of `blades`: a name is enrolled before its first registration writes that row, and an operator's release
/// removes the binding while the blade's history stays. Version 13 belongs to another change; the runner applies the
/// catalogue's migrations in order whatever their numbers, so this one does not wait for it.
/// </summary>
internal sealed class M0014_BladeKeys : Migration
{
    public override int Version => 14;

    public override string Name => "blade keys";

    public override IReadOnlyList<string> Up(SqlDialect dialect) =>
    [
        """
        CREATE TABLE blade_keys (
            name TEXT PRIMARY KEY,
            key_sha256 TEXT NOT NULL,
            enrolled BIGINT NOT NULL)
        """,
    ];

    public override IReadOnlyList<string> Down(SqlDialect dialect) =>
    [
        "DROP TABLE blade_keys",
    ];
}
