namespace Furrow.Storage.Migrations;

/// <summary>
/// A job's `-crews` (a JSON list of crew names, changed by `tq chcrews`) and `-editpolicy` (the name of a crews.config
/// JobEditAccessPolicies policy, null for defaultPolicy): the engine decides who may act on a job from them.
/// </summary>
internal sealed class M0015_JobCrewsAndEditPolicy : Migration
{
    public override int Version => 15;

    public override string Name => "job crews and edit policy";

    public override IReadOnlyList<string> Up(SqlDialect dialect) =>
    [
        "ALTER TABLE jobs ADD COLUMN crews TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE jobs ADD COLUMN editpolicy TEXT",
    ];

    public override IReadOnlyList<string> Down(SqlDialect dialect) =>
    [
        "ALTER TABLE jobs DROP COLUMN editpolicy",
        "ALTER TABLE jobs DROP COLUMN crews",
    ];
}
