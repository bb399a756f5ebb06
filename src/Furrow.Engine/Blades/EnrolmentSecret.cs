using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Furrow.Engine.Site;

namespace Furrow.Engine.Blades;

/// <summary>
/// The site's blade enrolment secret: what a blade shows at its first registration to be issued a key of its own. Made
/// by the engine on its first start (256 random bits, mode 0600) and read at every start; a file that group or others
/// may read or write is refused, since anyone who reads it can enrol blades that are then given commands to run.
/// Only its SHA-256 is held, so comparing a presented secret takes the same time whatever it is.
/// </summary>
internal sealed class EnrolmentSecret
{
    private const int SecretBytes = 32;
    private const int MinimumLength = 32;
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private readonly byte[] _hash;

    private EnrolmentSecret(string path, byte[] hash)
    {
        Path = path;
        _hash = hash;
    }

    /// <summary>The file the secret was read from, for messages.</summary>
    public string Path { get; }

    /// <summary>Whether the engine made the file at this start (a new site), for the log.</summary>
    public bool Created { get; private init; }

    /// <summary>Reads the secret from <paramref name="path"/>, first making it when the file does not exist.</summary>
    /// <exception cref="SiteConfigException">The file is open to group or others, too short, or cannot be read or made.</exception>
    public static EnrolmentSecret LoadOrCreate(string path)
    {
        var created = false;
        try
        {
            if (!File.Exists(path))
                created = TryCreate(path);
            if (!OperatingSystem.IsWindows() && File.GetUnixFileMode(path) is var mode && (mode & GroupOrOthers) != 0)
                throw new SiteConfigException($"{path}: the blade enrolment secret may be read or changed by group or others " +
                    $"(mode {Convert.ToString((int)mode, 8)}); anyone who reads it can enrol blades. Run `chmod 600 {path}` and start the engine again");
            var text = File.ReadAllText(path).Trim();
            if (text.Length < MinimumLength)
                throw new SiteConfigException($"{path}: the blade enrolment secret is {text.Length} characters long; it needs at least " +
                    $"{MinimumLength} (delete the file and the engine makes a new one of 256 random bits)");
            return new EnrolmentSecret(path, Hash(text)) { Created = created };
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new SiteConfigException($"{path}: cannot read or make the blade enrolment secret: {error.Message}");
        }
    }

    /// <summary>Whether <paramref name="presented"/> is the secret, in time that does not depend on how much of it is right.</summary>
    public bool Matches(string presented) => CryptographicOperations.FixedTimeEquals(Hash(presented.Trim()), _hash);

    // Made with its final mode at once (never world-readable, not even for a moment) and only when absent, so two engines
    // started on one new site cannot each write a different secret: the second reads the first one's.
    private static bool TryCreate(string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes));
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = OwnerOnly;
        try
        {
            using var file = new FileStream(path, options);
            file.Write(Encoding.ASCII.GetBytes(secret + "\n"));
            file.Flush(flushToDisk: true);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
    }

    private static byte[] Hash(string text) => SHA256.HashData(Encoding.UTF8.GetBytes(text));
}
