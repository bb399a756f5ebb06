namespace Furrow.Storage.Migrations;

/// <summary>
/// On PostgreSQL, a job's task and command rows no longer carry a foreign key to its job row. A spool writes them with
/// one COPY each, and PostgreSQL checks a foreign key row by row, with a query per row: a fifth to a third of a large
/// spool's store time (measured with the bench's <c>spool</c> scenario). The engine is the only writer, and it writes a
/// job's row, script, tasks and commands in one transaction (<see cref="InsertJob"/>); no job row is ever deleted (a
/// deleted job is marked, and its rows stay), so the cascade had nothing to do. Invocation rows never had the key. A
/// purge that deletes job rows must delete their tasks, commands and invocations itself.
/// SQLite's check is a lookup in the same process, a small part of its store time, so SQLite keeps the key.
/// Going down puts the keys back; PostgreSQL checks every row then, and refuses if one points at no job.
/// </summary>
internal sealed class M0010_TaskRowsWithoutKeyChecks : Migration
{
    public override int Version => 10;

    public override string Name => "task rows without per-row key checks";

    public override IReadOnlyList<string> Up(SqlDialect dialect) => dialect == SqlDialect.Postgres
        ?
        [
            "ALTER TABLE tasks DROP CONSTRAINT tasks_jid_fkey",
            "ALTER TABLE commands DROP CONSTRAINT commands_jid_fkey",
        ]
        : [];

    public override IReadOnlyList<string> Down(SqlDialect dialect) => dialect == SqlDialect.Postgres
        ?
        [
            "ALTER TABLE tasks ADD CONSTRAINT tasks_jid_fkey FOREIGN KEY (jid) REFERENCES jobs(jid) ON DELETE CASCADE",
            "ALTER TABLE commands ADD CONSTRAINT commands_jid_fkey FOREIGN KEY (jid) REFERENCES jobs(jid) ON DELETE CASCADE",
        ]
        : [];
}
