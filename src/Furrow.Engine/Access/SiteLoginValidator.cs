using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Furrow.Core.Access;
using Furrow.Engine.Site;
using Microsoft.Extensions.Logging;

namespace Furrow.Engine.Access;

/// <summary>What a site password validator said of one user name and password.</summary>
/// <param name="Accepted">The validator exited 0.</param>
/// <param name="Trouble">Null when the validator answered (accepted or not); else why it could not: it did not start,
/// did not finish within its timeout, or every run slot stayed busy that long. The login is then neither accepted nor
/// the user's fault.</param>
public readonly record struct ValidatorAnswer(bool Accepted, string? Trouble);

/// <summary>
/// Runs crews.config's `SitePasswordValidator` for a login (Tractor's site login validator hook): the program is started
/// without a shell, in the site config directory, with the engine's environment; it reads the user name (first line)
/// and the password (second line) from its standard input, and exit status 0 accepts the pair, any other refuses it.
/// The password goes on standard input only, never in the arguments or environment, which other local users can read.
/// </summary>
/// <remarks>
/// Bounds, so that a slow or hostile validator cannot take the engine down: at most <see cref="MaxRunning"/> checks
/// run at once (a login waits for a slot no longer than the timeout); a check that runs past its timeout is killed
/// with its children (by its process id) and reported as unanswered; of its output the engine keeps
/// <see cref="OutputLimit"/> bytes of standard error for the log, when the exit status is neither 0 nor 1, and drops
/// the rest. Which names reach the validator, and what ValidLogins and BannedLogins add, is <see cref="UserAccounts"/>'s.
/// </remarks>
public sealed class SiteLoginValidator(TimeProvider clock, ILogger logger)
{
    /// <summary>Checks run at once, at most.</summary>
    public const int MaxRunning = 4;

    /// <summary>Bytes of the validator's standard error kept for the log.</summary>
    public const int OutputLimit = 4096;

    private readonly SemaphoreSlim _slots = new(MaxRunning, MaxRunning);

    /// <summary>
    /// <paramref name="command"/> with its program resolved: a name without '/' is looked up in PATH, a relative path is
    /// taken from <paramref name="configDirectory"/>.
    /// </summary>
    /// <exception cref="SiteConfigException">The program is not there, is a directory, or is not executable; the message
    /// names the setting, <paramref name="file"/> and the program.</exception>
    public static PasswordValidatorCommand Resolve(PasswordValidatorCommand command, string configDirectory, string file)
    {
        var program = command.Argv[0];
        string? path;
        if (program.Contains('/', StringComparison.Ordinal) || (OperatingSystem.IsWindows() && program.Contains('\\', StringComparison.Ordinal)))
        {
            path = Path.GetFullPath(program, configDirectory);
            if (!File.Exists(path))
                throw Refusal(file, $"the program {path} does not exist" + (Directory.Exists(path) ? " (it is a directory)" : ""));
        }
        else
        {
            path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists)
                ?? throw Refusal(file, $"the program {program} is not in the engine's PATH; give its full path");
        }
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
            throw Refusal(file, $"the program {path} is not executable: chmod +x {path}");
        return command with { Argv = [path, .. command.Argv.Skip(1)] };
    }

    // Said at the setting's line in crews.config.
    private static SiteConfigException Refusal(string file, string problem) =>
        new(SiteConfigLoader.Where(file, Core.Config.ConfigProblem.Value($"{PasswordValidatorSetting.Key}: {problem}", PasswordValidatorSetting.Key)), file);

    /// <summary>
    /// Runs <paramref name="command"/> (resolved by <see cref="Resolve"/>) for <paramref name="user"/> and
    /// <paramref name="password"/> in <paramref name="workingDirectory"/>. Neither may hold a line break or NUL (the
    /// caller refuses those).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (the caller went away);
    /// a validator already running is killed first.</exception>
    public async Task<ValidatorAnswer> CheckAsync(PasswordValidatorCommand command, string workingDirectory, string user, string password,
        CancellationToken cancellationToken)
    {
        var seconds = command.Timeout.TotalSeconds;
        using var deadline = new CancellationTokenSource(command.Timeout, clock);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        try
        {
            await _slots.WaitAsync(either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            ValidatorLog.Busy(logger, MaxRunning, seconds, user);
            return new ValidatorAnswer(false, $"crews.config's {PasswordValidatorSetting.Key} is busy: {MaxRunning} checks ran for {seconds:0.#} s; try again");
        }
        try
        {
            return await RunAsync(command, workingDirectory, user, password, either.Token, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<ValidatorAnswer> RunAsync(PasswordValidatorCommand command, string workingDirectory, string user, string password,
        CancellationToken stop, CancellationToken callerGone)
    {
        var program = command.Argv[0];
        var seconds = command.Timeout.TotalSeconds;
        var info = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        foreach (var argument in command.Argv.Skip(1))
            info.ArgumentList.Add(argument);
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Exception error) when (error is Win32Exception or IOException or InvalidOperationException)
        {
            ValidatorLog.NotStarted(logger, program, user, error.Message);
            return new ValidatorAnswer(false, $"crews.config's {PasswordValidatorSetting.Key} {program} could not be started: {error.Message}");
        }
        var stderr = Keep(process.StandardError.BaseStream);
        _ = Keep(process.StandardOutput.BaseStream);
        try
        {
            await WriteAsync(process, user, password, stop).ConfigureAwait(false);
            await process.WaitForExitAsync(stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            var pid = process.Id;
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // it exited just now
            }
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            callerGone.ThrowIfCancellationRequested();
            ValidatorLog.TimedOut(logger, program, user, seconds, pid);
            return new ValidatorAnswer(false, $"crews.config's {PasswordValidatorSetting.Key} {program} did not answer within {seconds:0.#} s " +
                $"({PasswordValidatorSetting.TimeoutKey}); the engine stopped it");
        }
        var status = process.ExitCode;
        if (status is not (0 or 1))
        {
            var said = "";
            try
            {
                said = await stderr.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // a child it left behind holds its standard error open: log without it
            }
            ValidatorLog.OddStatus(logger, program, user, status, said.Split('\n', 2)[0].Trim());
        }
        return new ValidatorAnswer(status == 0, null);
    }

    private static async Task WriteAsync(Process process, string user, string password, CancellationToken stop)
    {
        try
        {
            var input = process.StandardInput;
            await input.WriteAsync(new StringBuilder(user).Append('\n').Append(password).Append('\n'), stop).ConfigureAwait(false);
            await input.FlushAsync(stop).ConfigureAwait(false);
            input.Close();
        }
        catch (IOException)
        {
            // The validator exited without reading its input: its exit status still answers.
        }
    }

    // Reads a stream to its end so the validator never blocks on a full pipe; returns the first OutputLimit bytes as text.
    private static async Task<string> Keep(Stream stream)
    {
        var kept = new byte[OutputLimit];
        var length = 0;
        var scratch = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(scratch).ConfigureAwait(false)) > 0)
            {
                var take = Math.Min(read, OutputLimit - length);
                Array.Copy(scratch, 0, kept, length, take);
                length += take;
            }
        }
        catch (Exception error) when (error is IOException or ObjectDisposedException)
        {
            // the process object went away first: what was read is all there is
        }
        return Encoding.UTF8.GetString(kept, 0, length);
    }
}

internal static partial class ValidatorLog
{
    [LoggerMessage(EventId = 63, Level = LogLevel.Error, Message = "crews.config's SitePasswordValidator {Program} could not be started for {User}'s login: {Reason}")]
    public static partial void NotStarted(ILogger logger, string program, string user, string reason);

    [LoggerMessage(EventId = 64, Level = LogLevel.Error,
        Message = "crews.config's SitePasswordValidator {Program} did not answer {User}'s login within {Seconds} s: killed process {Pid} and its children")]
    public static partial void TimedOut(ILogger logger, string program, string user, double seconds, int pid);

    [LoggerMessage(EventId = 65, Level = LogLevel.Warning, Message = "crews.config's SitePasswordValidator {Program} refused {User} with exit status {Status}: {Said}")]
    public static partial void OddStatus(ILogger logger, string program, string user, int status, string said);

    [LoggerMessage(EventId = 66, Level = LogLevel.Error, Message = "all {Slots} SitePasswordValidator runs stayed busy for {Seconds} s: {User}'s login not checked")]
    public static partial void Busy(ILogger logger, int slots, double seconds, string user);
}
