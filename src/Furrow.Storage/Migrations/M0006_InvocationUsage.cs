namespace Furrow.Storage.Migrations;

/// <summary>
/// What an invocation's process tree used, under Tractor's column names: real, user-mode and system-mode seconds
/// (`elapsedreal`, `elapsedapp`, `elapsedsys`), peak resident and virtual memory in bytes (`rss`, `vsz`); and the
/// blade's clock skew (engine clock minus blade clock, ms) that its times were corrected by. The invocation state
/// `interrupted` (a blade ended the run as it stopped) comes with this version: going down, such runs are recorded as
/// `blade restarted`, the nearest state an older build knows, so it can still read them.
/// </summary>
internal sealed class M0006_InvocationUsage : Migration
{
    public override int Version => 6;

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
        "UPDATE invocations SET status = 'blade restarted' WHERE status = 'interrupted'",
        "ALTER TABLE invocations DROP COLUMN clockskew",
        "ALTER TABLE invocations DROP COLUMN vsz",
        "ALTER TABLE invocations DROP COLUMN rss",
        "ALTER TABLE invocations DROP COLUMN elapsedsys",
        "ALTER TABLE invocations DROP COLUMN elapsedapp",
        "ALTER TABLE invocations DROP COLUMN elapsedreal",
    ];
}
