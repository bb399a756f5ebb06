namespace Furrow.Storage.Migrations;

/// <summary>Jobs, tasks, commands, invocations, blades and params (the job counter).</summary>
internal sealed class M0001_InitialSchema : Migration
{
    public override int Version => 1;

    public override string Name => "initial schema";

    public override IReadOnlyList<string> Up(SqlDialect dialect) =>
    [
        """
        CREATE TABLE params (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL)
        """,
        """
        CREATE TABLE jobs (
            jid BIGINT PRIMARY KEY,
            owner TEXT NOT NULL,
            title TEXT NOT NULL,
            priority DOUBLE PRECISION NOT NULL,
            spooltime BIGINT NOT NULL,
            spoolhost TEXT,
            spoolfile TEXT,
            spoolcwd TEXT,
            paused INTEGER NOT NULL DEFAULT 0,
            deleted INTEGER NOT NULL DEFAULT 0,
            deletetime BIGINT,
            starttime BIGINT,
            stoptime BIGINT,
            rootserial INTEGER NOT NULL DEFAULT 0,
            comment TEXT,
            spec TEXT NOT NULL)
        """,
        """
        CREATE TABLE tasks (
            jid BIGINT NOT NULL REFERENCES jobs(jid) ON DELETE CASCADE,
            tid INTEGER NOT NULL,
            parent_tid INTEGER NOT NULL,
            title TEXT NOT NULL,
            task_id TEXT,
            service TEXT,
            serialsubtasks INTEGER NOT NULL DEFAULT 0,
            instance_of TEXT NOT NULL DEFAULT '[]',
            state TEXT NOT NULL,
            statetime BIGINT NOT NULL,
            retrycount INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (jid, tid))
        """,
        """
        CREATE TABLE commands (
            jid BIGINT NOT NULL REFERENCES jobs(jid) ON DELETE CASCADE,
            cid INTEGER NOT NULL,
            tid INTEGER NOT NULL,
            argv TEXT NOT NULL,
            kind TEXT NOT NULL,
            runtype TEXT NOT NULL,
            service TEXT,
            expand INTEGER NOT NULL DEFAULT 0,
            retryrc TEXT NOT NULL DEFAULT '[]',
            state TEXT NOT NULL,
            PRIMARY KEY (jid, cid))
        """,
        """
        CREATE TABLE invocations (
            iid BIGINT PRIMARY KEY,
            jid BIGINT NOT NULL,
            tid INTEGER NOT NULL,
            cid INTEGER NOT NULL,
            blade TEXT NOT NULL,
            dispatchtime BIGINT NOT NULL,
            starttime BIGINT,
            stoptime BIGINT,
            pid INTEGER,
            rcode INTEGER,
            current INTEGER NOT NULL DEFAULT 1,
            status TEXT NOT NULL,
            log_start BIGINT)
        """,
        "CREATE INDEX invocations_current ON invocations (current) WHERE current = 1",
        "CREATE INDEX invocations_job ON invocations (jid, tid)",
        """
        CREATE TABLE blades (
            name TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            slots INTEGER NOT NULL,
            version TEXT NOT NULL,
            boot_id TEXT NOT NULL,
            registered BIGINT NOT NULL,
            last_contact BIGINT NOT NULL,
            status TEXT NOT NULL)
        """,
        "INSERT INTO params (name, value) VALUES ('jidcounter', '0')",
    ];

    public override IReadOnlyList<string> Down(SqlDialect dialect) =>
    [
        "DROP TABLE blades",
        "DROP TABLE invocations",
        "DROP TABLE commands",
        "DROP TABLE tasks",
        "DROP TABLE jobs",
        "DROP TABLE params",
    ];
}
