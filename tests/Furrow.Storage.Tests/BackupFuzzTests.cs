using CsCheck;
using Furrow.Storage.Backup;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Furrow.Storage.Tests;

/// <summary>
/// Fuzzing of the backup reader, the one parser that reads a file a stranger may have made: a good archive with bytes
/// flipped, cut off or put in. Whatever it is given, the reader either refuses it with <see cref="BackupInvalidException"/>
/// or hands back exactly the database that was backed up, never something else and never another exception.
/// Runs for <c>FURROW_FUZZ_SECONDS</c> (default 10).
/// </summary>
public sealed class BackupFuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("furrow-backup-fuzz-").FullName;

    private static int Seconds =>
        int.TryParse(Environment.GetEnvironmentVariable("FURROW_FUZZ_SECONDS"), out var seconds) && seconds > 0 ? seconds : 10;

    private readonly record struct Damage(int Kind, double At, byte Value);

    [Fact]
    public async Task Verify_DamagedArchives_AreRefusedOrGiveBackTheVeryDatabase()
    {
        var database = Path.Combine(_root, "furrow.db");
        MakeDatabase(database);
        var original = await File.ReadAllBytesAsync(database);
        var good = Path.Combine(_root, "good.tar.gz");
        var manifest = new BackupManifest(BackupManifest.CurrentFormat, "test", "sqlite", 12, 42, DateTimeOffset.UnixEpoch, []);
        await BackupArchive.WriteAsync(good, database, manifest, CancellationToken.None);
        var archive = await File.ReadAllBytesAsync(good);

        var runs = 0L;
        var refused = 0L;
        var damage = Gen.Select(Gen.Int[0, 3], Gen.Double.Unit, Gen.Byte[1, 255], (kind, at, value) => new Damage(kind, at, value));
        await damage.Array[1, 4].SampleAsync(async damages =>
        {
            if (!await VerifiesOrRefusesAsync(archive, original, damages, Interlocked.Increment(ref runs)))
                Interlocked.Increment(ref refused);
        }, time: Seconds, threads: 1, print: d => string.Join(", ", d));
        output.WriteLine($"backup reader: {runs} damaged archives in {Seconds} s, {refused} refused, the rest gave back the same database; 0 failures");
    }

    // Found by the fuzzer (seed fkiszt-Jxzt2): damage that made the tar reader overflow reading a header's number, which
    // came out as an OverflowException instead of a refusal.
    [Fact]
    public async Task Verify_DamageThatOverflowsTheTarReader_IsRefused()
    {
        var database = Path.Combine(_root, "furrow.db");
        MakeDatabase(database);
        var good = Path.Combine(_root, "good.tar.gz");
        var manifest = new BackupManifest(BackupManifest.CurrentFormat, "test", "sqlite", 12, 42, DateTimeOffset.UnixEpoch, []);
        await BackupArchive.WriteAsync(good, database, manifest, CancellationToken.None);
        Damage[] damages = [new(1, 0.1346381431455428, 90), new(1, 0.4117565734909632, 153), new(3, 0.9603815596139547, 124), new(0, 0.12046478845462283, 90)];

        await VerifiesOrRefusesAsync(await File.ReadAllBytesAsync(good), await File.ReadAllBytesAsync(database), damages, 1);
    }

    // Damages the archive and verifies it: true when it gave back the very database, false when it was refused naming the
    // archive; anything else fails the test.
    private async Task<bool> VerifiesOrRefusesAsync(byte[] archive, byte[] original, Damage[] damages, long n)
    {
        var path = Path.Combine(_root, $"damaged-{n}.tar.gz");
        var scratch = Path.Combine(_root, $"scratch-{n}");
        await File.WriteAllBytesAsync(path, Apply(archive, damages));
        try
        {
            var verified = await BackupArchive.VerifyAsync(path, scratch, CancellationToken.None);
            Assert.Equal(original, await File.ReadAllBytesAsync(verified.DatabaseFile));
            Assert.Equal(42, verified.Manifest.LastJobId);
            return true;
        }
        catch (BackupInvalidException error)
        {
            Assert.Contains(path, error.Message);
            return false;
        }
        finally
        {
            File.Delete(path);
            if (Directory.Exists(scratch))
                Directory.Delete(scratch, recursive: true);
        }
    }

    // Found by the fuzzer: a damaged manifest whose members list read as null crashed the reader with an
    // ArgumentNullException instead of refusing the archive. The same for the other fields a manifest must have.
    [Theory]
    [InlineData("""{"format":"furrow-backup-1","furrowVersion":"t","provider":"sqlite","schemaVersion":12,"lastJobId":1,"createdAt":"2025-01-01T00:00:00Z","members":null}""")]
    [InlineData("""{"format":"furrow-backup-1","furrowVersion":"t","provider":"sqlite","schemaVersion":12,"lastJobId":1,"createdAt":"2025-01-01T00:00:00Z","members":[null]}""")]
    [InlineData("""{"format":"furrow-backup-1","furrowVersion":"t","provider":"sqlite","schemaVersion":12,"lastJobId":1,"createdAt":"2025-01-01T00:00:00Z"}""")]
    [InlineData("""{"format":null,"furrowVersion":"t","provider":"sqlite","schemaVersion":12,"lastJobId":1,"createdAt":"2025-01-01T00:00:00Z","members":[]}""")]
    [InlineData("""{"format":"furrow-backup-1","furrowVersion":"t","provider":"sqlite","schemaVersion":12,"lastJobId":1,"createdAt":"2025-01-01T00:00:00Z","members":[{"name":null,"size":1,"sha256":"00"}]}""")]
    public async Task Verify_AManifestMissingWhatItMustHave_IsRefused(string manifest)
    {
        var path = Path.Combine(_root, "bad-manifest.tar.gz");
        await using (var file = File.Create(path))
        await using (var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Fastest))
        await using (var tar = new System.Formats.Tar.TarWriter(gzip))
        {
            var entry = new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, BackupArchive.ManifestName)
            {
                DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(manifest)),
            };
            await tar.WriteEntryAsync(entry);
        }

        var error = await Assert.ThrowsAsync<BackupInvalidException>(() => BackupArchive.VerifyAsync(path, Path.Combine(_root, "scratch"), CancellationToken.None));
        Assert.Contains("manifest", error.Message);
    }

    private static byte[] Apply(byte[] archive, Damage[] damages)
    {
        var bytes = new List<byte>(archive);
        foreach (var (kind, at, value) in damages)
        {
            var i = Math.Min((int)(at * bytes.Count), bytes.Count - 1);
            if (bytes.Count == 0)
                break;
            switch (kind)
            {
                case 0: bytes[i] ^= value; break;
                case 1: bytes.RemoveRange(i, bytes.Count - i); break;
                case 2: bytes.Insert(i, value); break;
                default: bytes.RemoveAt(i); break;
            }
        }
        return bytes.ToArray();
    }

    // A small database like a job database: rows of text, and the zero-filled free space SQLite leaves in its pages.
    private static void MakeDatabase(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE jobs (jid INTEGER PRIMARY KEY, title TEXT, owner TEXT);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)
            INSERT INTO jobs SELECT i, 'shot ' || i || ' beauty', 'user' || (i % 7) FROM n;
            """;
        command.ExecuteNonQuery();
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
