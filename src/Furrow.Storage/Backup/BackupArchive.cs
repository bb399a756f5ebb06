using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace Furrow.Storage.Backup;

/// <summary>A backup that cannot be restored: truncated, corrupt, foreign or from a newer schema. Nothing was changed.</summary>
public sealed class BackupInvalidException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A backup whose manifest and checksums were verified, unpacked into a scratch directory.</summary>
public sealed record VerifiedBackup(BackupManifest Manifest, string DatabaseFile, string ScratchDirectory);

/// <summary>
/// The backup file: a gzip-compressed tarball (as Tractor's) of the job database plus `manifest.json`, which records
/// the Furrow version, schema version, last job id and a SHA-256 of every member.
/// </summary>
public static class BackupArchive
{
    public const string ManifestName = "manifest.json";
    public const string DatabaseMember = "db/furrow.db";

    /// <summary>A PostgreSQL job database, as `pg_dump --format=custom` writes it.</summary>
    public const string PostgresDumpMember = "db/furrow.pgdump";

    private static readonly string[] DatabaseMembers = [DatabaseMember, PostgresDumpMember];

    /// <summary>Writes the archive next to <paramref name="archivePath"/> and renames it into place only when complete.</summary>
    public static async Task WriteAsync(string archivePath, string databaseFile, BackupManifest manifest, CancellationToken cancellationToken,
        string memberName = DatabaseMember)
    {
        var member = new BackupMember(memberName, new FileInfo(databaseFile).Length, await Sha256Async(databaseFile, cancellationToken));
        manifest = manifest with { Members = [member] };
        var partial = archivePath + ".partial";
        await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write))
        {
            await using (var gzip = new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true))
            await using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
            {
                var manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, BackupJsonContext.Default.BackupManifest);
                var manifestEntry = new PaxTarEntry(TarEntryType.RegularFile, ManifestName) { DataStream = new MemoryStream(manifestBytes) };
                await tar.WriteEntryAsync(manifestEntry, cancellationToken);
                await tar.WriteEntryAsync(databaseFile, memberName, cancellationToken);
            }
            file.Flush(flushToDisk: true);
        }
        File.Move(partial, archivePath, overwrite: true);
    }

    /// <summary>Unpacks and checks an archive: format, member names, sizes and checksums. Throws <see cref="BackupInvalidException"/>.</summary>
    public static async Task<VerifiedBackup> VerifyAsync(string archivePath, string scratchDirectory, CancellationToken cancellationToken)
    {
        if (!File.Exists(archivePath))
            throw new BackupInvalidException($"{archivePath}: no such file");
        Directory.CreateDirectory(scratchDirectory);
        var extracted = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            await using var file = File.OpenRead(archivePath);
            await using var gzip = new GZipStream(file, CompressionMode.Decompress);
            await using var tar = new TarReader(gzip);
            while (await tar.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                    throw new BackupInvalidException($"{archivePath}: unexpected {entry.EntryType} entry '{entry.Name}' (not a Furrow backup)");
                if (entry.Name != ManifestName && !DatabaseMembers.Contains(entry.Name))
                    throw new BackupInvalidException($"{archivePath}: unexpected member '{entry.Name}' (not a Furrow backup)");
                if (extracted.ContainsKey(entry.Name))
                    throw new BackupInvalidException($"{archivePath}: member '{entry.Name}' appears twice");
                var target = Path.Combine(scratchDirectory, entry.Name.Replace('/', '_'));
                await entry.ExtractToFileAsync(target, overwrite: true, cancellationToken);
                extracted[entry.Name] = target;
            }
        }
        catch (Exception error) when (error is InvalidDataException or EndOfStreamException or FormatException or IOException)
        {
            throw new BackupInvalidException($"{archivePath}: the archive is truncated or corrupt ({error.Message})", error);
        }

        if (!extracted.TryGetValue(ManifestName, out var manifestFile))
            throw new BackupInvalidException($"{archivePath}: no {ManifestName} (not a Furrow backup)");
        BackupManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(await File.ReadAllBytesAsync(manifestFile, cancellationToken), BackupJsonContext.Default.BackupManifest)
                ?? throw new BackupInvalidException($"{archivePath}: empty manifest");
        }
        catch (JsonException error)
        {
            throw new BackupInvalidException($"{archivePath}: unreadable manifest ({error.Message})", error);
        }
        if (manifest.Format != BackupManifest.CurrentFormat)
            throw new BackupInvalidException($"{archivePath}: format '{manifest.Format}' is not {BackupManifest.CurrentFormat}");
        foreach (var member in manifest.Members)
        {
            if (!extracted.TryGetValue(member.Name, out var path))
                throw new BackupInvalidException($"{archivePath}: member '{member.Name}' named in the manifest is missing");
            var size = new FileInfo(path).Length;
            if (size != member.Size)
                throw new BackupInvalidException($"{archivePath}: member '{member.Name}' has {size} bytes, the manifest says {member.Size}");
            if (await Sha256Async(path, cancellationToken) != member.Sha256)
                throw new BackupInvalidException($"{archivePath}: member '{member.Name}' fails its SHA-256 check");
        }
        var databaseMember = DatabaseMembers.FirstOrDefault(m => extracted.ContainsKey(m) && manifest.Members.Any(x => x.Name == m));
        if (databaseMember is null)
            throw new BackupInvalidException($"{archivePath}: no job database in the archive");
        var database = extracted[databaseMember];
        return new VerifiedBackup(manifest, database, scratchDirectory);
    }

    public static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }
}
