namespace Furrow.Storage.Migrations;

/// <summary>
/// The command line an invocation was handed to its blade with (a JSON list of words), when it differs from its
/// command's (`%D(path)` mapped for the blade's zone); NULL when it is the command's own. An engine restarted between
/// dispatch and the blade's start report writes the log header from it.
/// </summary>
internal sealed class M0008_InvocationArgv : Migration
{
    public override int Version => 8;

    public override string Name => "invocation argv";

    public override IReadOnlyList<string> Up(SqlDialect dialect) =>
    [
        "ALTER TABLE invocations ADD COLUMN argv TEXT",
    ];

    public override IReadOnlyList<string> Down(SqlDialect dialect) =>
    [
        "ALTER TABLE invocations DROP COLUMN argv",
    ];
}
