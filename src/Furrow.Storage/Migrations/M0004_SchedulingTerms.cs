namespace Furrow.Storage.Migrations;

/// <summary>
/// What a job script says about scheduling, as columns (start time resolved at spool, `-maxactive`, `-afterjids`,
/// `-tier`, `-projects`, `-service`, `-tags`, and the job-wide `-atleast`, `-atmost`, `-envkey` that expanded tasks
/// inherit); what each command asks of a blade beyond its service key (`-tags`, slots, envkeys), so the scheduler is
/// rebuilt from rows alone; the per-job blade blocklist; a blade's nimby switch.
/// </summary>
internal sealed class M0004_SchedulingTerms : Migration
{
    public override int Version => 4;

    public override string Name => "scheduling terms";

    public override IReadOnlyList<string> Up(SqlDialect dialect) =>
    [
        "ALTER TABLE jobs ADD COLUMN aftertime BIGINT",
        "ALTER TABLE jobs ADD COLUMN maxactive INTEGER",
        "ALTER TABLE jobs ADD COLUMN afterjids TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE jobs ADD COLUMN tier TEXT",
        "ALTER TABLE jobs ADD COLUMN projects TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE jobs ADD COLUMN service TEXT",
        "ALTER TABLE jobs ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE jobs ADD COLUMN atleast INTEGER",
        "ALTER TABLE jobs ADD COLUMN atmost INTEGER",
        "ALTER TABLE jobs ADD COLUMN envkey TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE commands ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE commands ADD COLUMN atleast INTEGER",
        "ALTER TABLE commands ADD COLUMN atmost INTEGER",
        "ALTER TABLE commands ADD COLUMN envkey TEXT NOT NULL DEFAULT '[]'",
        """
        CREATE TABLE blocklist (
            jid BIGINT NOT NULL,
            blade TEXT NOT NULL,
            failures INTEGER NOT NULL,
            PRIMARY KEY (jid, blade))
        """,
        "ALTER TABLE blades ADD COLUMN nimby INTEGER NOT NULL DEFAULT 0",
    ];

    public override IReadOnlyList<string> Down(SqlDialect dialect) =>
    [
        "ALTER TABLE blades DROP COLUMN nimby",
        "DROP TABLE blocklist",
        "ALTER TABLE commands DROP COLUMN envkey",
        "ALTER TABLE commands DROP COLUMN atmost",
        "ALTER TABLE commands DROP COLUMN atleast",
        "ALTER TABLE commands DROP COLUMN tags",
        "ALTER TABLE jobs DROP COLUMN envkey",
        "ALTER TABLE jobs DROP COLUMN atmost",
        "ALTER TABLE jobs DROP COLUMN atleast",
        "ALTER TABLE jobs DROP COLUMN tags",
        "ALTER TABLE jobs DROP COLUMN service",
        "ALTER TABLE jobs DROP COLUMN projects",
        "ALTER TABLE jobs DROP COLUMN tier",
        "ALTER TABLE jobs DROP COLUMN afterjids",
        "ALTER TABLE jobs DROP COLUMN maxactive",
        "ALTER TABLE jobs DROP COLUMN aftertime",
    ];
}
