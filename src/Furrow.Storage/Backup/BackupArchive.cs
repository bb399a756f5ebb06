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
        BackupManifest? declared = null;
        try
        {
            await using var file = File.OpenRead(archivePath);
            await using var gzip = new GZipStream(file, CompressionMode.Decompress);
            var counted = new CountingStream(gzip);
            await using var tar = new TarReader(counted);
            while (await tar.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                    throw new BackupInvalidException($"{archivePath}: unexpected {entry.EntryType} entry '{entry.Name}' (not a Furrow backup)");
                if (entry.Name != ManifestName && !DatabaseMembers.Contains(entry.Name))
                    throw new BackupInvalidException($"{archivePath}: unexpected member '{entry.Name}' (not a Furrow backup)");
                if (extracted.ContainsKey(entry.Name))
                    throw new BackupInvalidException($"{archivePath}: member '{entry.Name}' appears twice");
                // Nothing is written out beyond what the manifest (always the first member) declares: a small archive
                // that expands to far more is refused before it fills the disk.
                if (entry.Name == ManifestName ? entry.Length > MaxManifestBytes
                    : declared?.Members.FirstOrDefault(m => m.Name == entry.Name) is not { } member || entry.Length != member.Size)
                {
                    throw new BackupInvalidException(entry.Name == ManifestName
                        ? $"{archivePath}: {ManifestName} is {entry.Length} bytes, more than a manifest ever is"
                        : $"{archivePath}: member '{entry.Name}' is {entry.Length} bytes, which {(declared is null ? "no manifest before it declares" : "its manifest does not declare")}");
                }
                var target = Path.Combine(scratchDirectory, entry.Name.Replace('/', '_'));
                await entry.ExtractToFileAsync(target, overwrite: true, cancellationToken);
                extracted[entry.Name] = target;
                if (entry.Name == ManifestName)
                    declared = ReadManifest(archivePath, await File.ReadAllBytesAsync(target, cancellationToken));
            }
            // Read on to the end of the gzip stream so its trailer (CRC-32 and length) is checked too, then compare the
            // length it records with what came out: a cut-off archive has no trailer to check.
            await counted.CopyToAsync(Stream.Null, cancellationToken);
            file.Seek(-4, SeekOrigin.End);
            var trailer = new byte[4];
            await file.ReadExactlyAsync(trailer, cancellationToken);
            if (System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer) != (uint)counted.BytesRead)
                throw new BackupInvalidException($"{archivePath}: the archive is truncated or corrupt (its gzip trailer does not match the {counted.BytesRead} bytes it holds)");
        }
        // The tar reader also overflows (or finds an argument out of range) reading a damaged header's number fields.
        catch (Exception error) when (error is InvalidDataException or EndOfStreamException or FormatException or IOException
            or OverflowException or ArgumentOutOfRangeException)
        {
            throw new BackupInvalidException($"{archivePath}: the archive is truncated or corrupt ({error.Message})", error);
        }

        // The manifest is read as soon as it is unpacked, so an archive without one has no declared manifest here.
        if (declared is not { } manifest)
            throw new BackupInvalidException($"{archivePath}: no {ManifestName} (not a Furrow backup)");
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

    // The manifest of a one-member backup is well under a kilobyte; this leaves room for many members and long names.
    private const long MaxManifestBytes = 1 << 20;

    private static BackupManifest ReadManifest(string archivePath, byte[] json)
    {
        try
        {
            var manifest = JsonSerializer.Deserialize(json, BackupJsonContext.Default.BackupManifest)
                ?? throw new BackupInvalidException($"{archivePath}: empty manifest");
            // Elements of a list are not covered by the serializer's null checks.
            if (manifest.Members.Any(m => m is null))
                throw new BackupInvalidException($"{archivePath}: unreadable manifest (a member that is null)");
            return manifest;
        }
        catch (JsonException error)
        {
            throw new BackupInvalidException($"{archivePath}: unreadable manifest ({error.Message})", error);
        }
    }

    // Counts what is read through it, to compare with the length a gzip trailer records.
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int read)
        {
            BytesRead += read;
            return read;
        }
    }

    public static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }
}
