namespace Furrow.Storage.Migrations;

/// <summary>
/// What an invocation's process tree used, under Tractor's column names: real, user-mode and system-mode seconds
/// (`elapsedreal`, `elapsedapp`, `elapsedsys`), peak resident and virtual memory in bytes (`rss`, `vsz`); and the
/// blade's clock skew (engine clock minus blade clock, ms) that its times were corrected by.
/// </summary>
internal sealed class M0005_InvocationUsage : Migration
{
    public override int Version => 5;

    public override string Name => "invocation usage";

    public override IReadOnlyList<string> Up(SqlDialect dialect) =>
    [
        "ALTER TABLE invocations ADD COLUMN elapsedreal DOUBLE PRECISION",
        "ALTER TABLE invocations ADD COLUMN elapsedapp DOUBLE PRECISION",
        "ALTER TABLE invocations ADD COLUMN elapsedsys DOUBLE PRECISION",
        "ALTER TABLE invocations ADD COLUMN rss BIGINT",
        "ALTER TABLE invocations ADD COLUMN vsz BIGINT",
        "ALTER TABLE invocations ADD COLUMN clockskew BIGINT",
    ];

    public override IReadOnlyList<string> Down(SqlDialect dialect) =>
    [
        "ALTER TABLE invocations DROP COLUMN clockskew",
        "ALTER TABLE invocations DROP COLUMN vsz",
        "ALTER TABLE invocations DROP COLUMN rss",
        "ALTER TABLE invocations DROP COLUMN elapsedsys",
        "ALTER TABLE invocations DROP COLUMN elapsedapp",
        "ALTER TABLE invocations DROP COLUMN elapsedreal",
    ];
}
