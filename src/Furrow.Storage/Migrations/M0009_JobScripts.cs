namespace Furrow.Storage.Migrations;

/// <summary>
/// Each job's script as it was spooled (alfred text or the JSON job form), in a table of its own. Before this version a
/// JSON rendering of the whole job sat in `jobs.spec`, inline in the job's row: every listing of jobs stepped through that
/// row's overflow pages to reach the columns after it, and rendering it was a large part of a big spool's time. The old
/// renderings move here as `json`; going down puts each job's script back in `jobs.spec`, which no engine reads, and coming
/// up again tells the two forms apart by their first character (a JSON job is an object; an alfred script never starts
/// with a brace).
/// </summary>
internal sealed class M0009_JobScripts : Migration
{
    public override int Version => 9;

    public override string Name => "job scripts";

    public override IReadOnlyList<string> Up(SqlDialect dialect) =>
    [
        """
        CREATE TABLE job_scripts (
            jid BIGINT PRIMARY KEY REFERENCES jobs(jid) ON DELETE CASCADE,
            format TEXT NOT NULL,
            script TEXT NOT NULL)
        """,
        $$"""
        INSERT INTO job_scripts (jid, format, script)
        SELECT jid, CASE WHEN substr(ltrim(spec, {{Blanks(dialect)}}), 1, 1) = '{' THEN 'json' ELSE 'alfred' END, spec FROM jobs WHERE spec <> ''
        """,
        "UPDATE jobs SET spec = '' WHERE spec <> ''",
    ];

    private static string Blanks(SqlDialect dialect) =>
        dialect == SqlDialect.Postgres ? "' ' || chr(9) || chr(10) || chr(13)" : "' ' || char(9, 10, 13)";

    public override IReadOnlyList<string> Down(SqlDialect dialect) =>
    [
        "UPDATE jobs SET spec = COALESCE((SELECT s.script FROM job_scripts s WHERE s.jid = jobs.jid), '')",
        "DROP TABLE job_scripts",
    ];
}
