namespace Furrow.Storage.Migrations;

/// <summary>
/// Each job row keeps how many tasks it has in each state, so a job listing (tq's counts, `done`, `error`, `active`) reads
/// one row per job instead of counting its tasks: with 10,000 jobs of 100 tasks a listing of them all counted a million
/// rows six times over (the bench's <c>query</c> scenario). The engine writes a new job's counts with its row, and adds an
/// expand's tasks to them; a trigger moves a task from one count to another whenever its state changes, whoever changes
/// it (the engine, a restore's reschedule). The owner gets an index, for searches by owner. Going down drops them all.
/// </summary>
internal sealed class M0011_JobTaskCounts : Migration
{
    internal static readonly string[] States = ["blocked", "ready", "active", "error", "done"];

    /// <summary>
    /// The PostgreSQL trigger function this version made, after CREATE (or CREATE OR REPLACE): it joins the statement's
    /// new and old rows. Version 18 replaces it (<see cref="M0018_JobCleanupWithoutInstances"/>) and gives it back going down.
    /// </summary>
    internal static string JoinedCountsFunction()
    {
        var sums = string.Join(", ", States.Select(st =>
            $"SUM((n.state = '{st}')::int - (o.state = '{st}')::int) AS d{st}"));
        var applies = string.Join(", ", States.Select(st => $"num{st} = j.num{st} + d.d{st}"));
        return $"""
            FUNCTION furrow_task_state_counts() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE jobs j SET {applies}
                FROM (SELECT n.jid, {sums}
                      FROM new_rows n JOIN old_rows o ON o.jid = n.jid AND o.tid = n.tid
                      WHERE n.state IS DISTINCT FROM o.state
                      GROUP BY n.jid) d
                WHERE j.jid = d.jid;
                RETURN NULL;
            END $$
            """;
    }

    public override int Version => 11;

    public override string Name => "job task counts";

    public override IReadOnlyList<string> Up(SqlDialect dialect)
    {
        var statements = new List<string> { "ALTER TABLE jobs ADD COLUMN numtasks INTEGER NOT NULL DEFAULT 0" };
        statements.AddRange(States.Select(s => $"ALTER TABLE jobs ADD COLUMN num{s} INTEGER NOT NULL DEFAULT 0"));
        statements.Add("UPDATE jobs SET numtasks = (SELECT COUNT(*) FROM tasks t WHERE t.jid = jobs.jid), " +
            string.Join(", ", States.Select(s => $"num{s} = (SELECT COUNT(*) FROM tasks t WHERE t.jid = jobs.jid AND t.state = '{s}')")));
        statements.Add("CREATE INDEX jobs_owner ON jobs (owner)");
        var moves = string.Join(", ", States.Select(s => $"num{s} = num{s} + (NEW.state = '{s}') - (OLD.state = '{s}')"));
        if (dialect == SqlDialect.Postgres)
        {
            // Once per statement, over the rows it changed: a spool or an operation moves thousands of one job's tasks in
            // one UPDATE, and a trigger per row would update that job's row thousands of times in one transaction, each
            // update walking the chain of versions the ones before it left (quadratic; a 40,000-task run took over 30 s).
            statements.Add("CREATE " + JoinedCountsFunction());
            statements.Add("""
                CREATE TRIGGER tasks_state_counts AFTER UPDATE ON tasks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION furrow_task_state_counts()
                """);
        }
        else
        {
            statements.Add($"""
                CREATE TRIGGER tasks_state_counts AFTER UPDATE OF state ON tasks FOR EACH ROW WHEN OLD.state <> NEW.state
                BEGIN
                    UPDATE jobs SET {moves} WHERE jid = NEW.jid;
                END
                """);
        }
        return statements;
    }

    public override IReadOnlyList<string> Down(SqlDialect dialect)
    {
        var statements = new List<string> { dialect == SqlDialect.Postgres ? "DROP TRIGGER tasks_state_counts ON tasks" : "DROP TRIGGER tasks_state_counts" };
        if (dialect == SqlDialect.Postgres)
            statements.Add("DROP FUNCTION furrow_task_state_counts()");
        statements.Add("DROP INDEX jobs_owner");
        statements.Add("ALTER TABLE jobs DROP COLUMN numtasks");
        statements.AddRange(States.Select(s => $"ALTER TABLE jobs DROP COLUMN num{s}"));
        return statements;
    }
}
