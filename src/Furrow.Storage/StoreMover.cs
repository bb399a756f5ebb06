using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Furrow.Storage.Migrations;

namespace Furrow.Storage;

/// <summary>What a move copied: rows and a checksum per table, identical on both sides.</summary>
public sealed record MoveReport(IReadOnlyList<(string Table, long Rows, string Checksum)> Tables, int SchemaVersion);

/// <summary>
/// Copies a whole job database from one provider to another (`tractor-dbctl --move-to`): every table at the same
/// schema version in one target transaction, then compares row counts and checksums table by table. The caller
/// switches db.config only after this returns, so an interrupted move leaves the old store the live one.
/// </summary>
public static class StoreMover
{
    // Parents before children, each with its key order so both sides are read in the same order.
    private static readonly (string Table, string OrderBy)[] Tables =
    [
        ("params", "name"), ("jobs", "jid"), ("tasks", "jid, tid"), ("commands", "jid, cid"), ("invocations", "iid"), ("blades", "name"),
        ("blocklist", "jid, blade"), ("job_scripts", "jid"), ("blade_keys", "name"), ("sessions", "tokenhash"),
    ];

    public static async Task<MoveReport> CopyAsync(IJobStore from, IJobStore to, CancellationToken cancellationToken)
    {
        var source = (AdoJobStore)from;
        var target = (AdoJobStore)to;
        var version = await source.MigrateAsync(cancellationToken);
        await target.MigrateToAsync(version, cancellationToken);
        if ((await target.ListJobsAsync(true, cancellationToken)).Count > 0)
            throw new StoreUnavailableException($"the target job database ({target.Description}) already holds jobs; move only into an empty one")
            { IsTransient = false };

        await using (var read = await source.OpenRawAsync(cancellationToken))
        await using (var write = await target.OpenRawAsync(cancellationToken))
        await using (var transaction = await write.BeginTransactionAsync(cancellationToken))
        {
            foreach (var (table, _) in Tables.Reverse())
                await ExecAsync(write, transaction, $"DELETE FROM {table}", cancellationToken);
            foreach (var (table, orderBy) in Tables)
                await CopyTableAsync(read, write, transaction, table, orderBy, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        var report = new List<(string, long, string)>();
        await using var left = await source.OpenRawAsync(cancellationToken);
        await using var right = await target.OpenRawAsync(cancellationToken);
        foreach (var (table, orderBy) in Tables)
        {
            var a = await ChecksumAsync(left, table, orderBy, cancellationToken);
            var b = await ChecksumAsync(right, table, orderBy, cancellationToken);
            if (a != b)
                throw new StoreUnavailableException(
                    $"the copy of table {table} does not match: {a.Rows} rows ({a.Sum[..12]}) in {source.Description}, " +
                    $"{b.Rows} rows ({b.Sum[..12]}) in {target.Description}; the old database stays the live one") { IsTransient = false };
            report.Add((table, a.Rows, a.Sum));
        }
        return new MoveReport(report, version);
    }

    private static async Task CopyTableAsync(DbConnection read, DbConnection write, DbTransaction transaction, string table, string orderBy,
        CancellationToken cancellationToken)
    {
        await using var select = read.CreateCommand();
        select.CommandText = $"SELECT * FROM {table} ORDER BY {orderBy}";
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
        await using var insert = write.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select(c => "@" + c))})";
        foreach (var column in columns)
        {
            var p = insert.CreateParameter();
            p.ParameterName = "@" + column;
            insert.Parameters.Add(p);
        }
        while (await reader.ReadAsync(cancellationToken))
        {
            for (var i = 0; i < columns.Count; i++)
                insert.Parameters[i].Value = reader.IsDBNull(i) ? DBNull.Value : reader.GetValue(i);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    // Values are written in an invariant text form, so SQLite's and PostgreSQL's integer widths compare equal.
    private static async Task<(long Rows, string Sum)> ChecksumAsync(DbConnection connection, string table, string orderBy, CancellationToken cancellationToken)
    {
        await using var select = connection.CreateCommand();
        select.CommandText = $"SELECT * FROM {table} ORDER BY {orderBy}";
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long rows = 0;
        var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).Order(StringComparer.Ordinal).ToList();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows++;
            foreach (var column in columns)
            {
                var value = reader.GetValue(reader.GetOrdinal(column));
                var text = value is DBNull ? "\u0000null" : Convert.ToString(value, CultureInfo.InvariantCulture);
                hash.AppendData(Encoding.UTF8.GetBytes($"{column}={text}\u0001"));
            }
        }
        return (rows, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private static async Task ExecAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
