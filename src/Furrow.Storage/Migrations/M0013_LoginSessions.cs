namespace Furrow.Storage.Migrations;

/// <summary>
/// Login sessions: the tokens `tq --login` and the API's login hand out, kept as SHA-256 hashes (hex) so a copy of the
/// database (a backup) holds nothing a client could present. `expires` is Unix ms; `stamp` is the account's password
/// stamp at login, so a new password ends the sessions made with the old one.
/// </summary>
internal sealed class M0013_LoginSessions : Migration
{
    public override int Version => 13;

    public override string Name => "login sessions";

    public override IReadOnlyList<string> Up(SqlDialect dialect) =>
    [
        "CREATE TABLE sessions (tokenhash TEXT PRIMARY KEY, login TEXT NOT NULL, stamp TEXT NOT NULL, created BIGINT NOT NULL, expires BIGINT NOT NULL)",
        "CREATE INDEX sessions_login ON sessions (login)",
    ];

    public override IReadOnlyList<string> Down(SqlDialect dialect) =>
    [
        "DROP TABLE sessions",
    ];
}
