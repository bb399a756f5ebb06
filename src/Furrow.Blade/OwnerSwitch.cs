using System.Globalization;
using Furrow.Client;
using Furrow.Core.Config;

namespace Furrow.Blade;

/// <summary>
/// Runs a command as its job's owner, for a blade that runs as root with <see cref="RunAs.Owner"/>: the owner's name is
/// checked (<see cref="AccountName"/>) and looked up in the host's user database, and the command's argv is wrapped in
/// util-linux's <c>setpriv --reuid=UID --regid=GID --init-groups --</c>, with that account's HOME, USER and LOGNAME.
/// <para>
/// Why setpriv rather than switching user in the keeper: the keeper starts commands with posix_spawn, which cannot
/// change the child's ids, and the alternative, fork then setgid, initgroups and setuid in the child, cannot be done
/// safely from a .NET process: between fork and exec only async-signal-safe calls are allowed in a multithreaded
/// process, and initgroups is not one (it reads the group database, through NSS), nor is anything the runtime may do
/// in managed code there. setpriv does exactly those calls in a single-threaded process of its own and then execs the
/// command in place, so the keeper's child is the command itself: the same pid, process group and start time (the
/// journal, adoption after a restart and the blade's tree signalling see no difference), the keeper's wait4 still
/// gives its exit code and rusage, and its output still goes to the file the keeper opened. The blade and the keeper
/// run as root, so they may still signal the switched processes, and /proc/PID/stat, which the meter reads, is readable
/// by all. setpriv clears every capability when the uid changes from root, sets the saved uid too, and initgroups gives
/// the account's supplementary groups as login does. It is in util-linux, on every Debian and most Linux systems.
/// </para>
/// <para>
/// The ids go to setpriv as numbers (setpriv would read a name of digits as a uid); <c>--init-groups</c> takes the
/// groups of the account with that uid. The command's argv[0] becomes the program's full path, as the blade found it.
/// </para>
/// </summary>
internal sealed class OwnerSwitch(string? setpriv, string bladeName)
{
    /// <summary>Where setpriv is looked for (an absolute path: the blade's PATH is not trusted to name it).</summary>
    public static readonly IReadOnlyList<string> SetprivPlaces = ["/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv", "/sbin/setpriv"];

    /// <summary>The exit code of a command not run because its owner has no usable account here (as a shell's "cannot execute").</summary>
    public const int NotRunExitCode = 126;

    /// <summary>The first of <see cref="SetprivPlaces"/> that exists; null when none does.</summary>
    public static string? FindSetpriv() => SetprivPlaces.FirstOrDefault(File.Exists);

    /// <summary>
    /// The account of <paramref name="owner"/> on this host.
    /// </summary>
    /// <exception cref="CommandNotStartedException">The name is not a plain account name, the host has no such account, or
    /// its user database cannot be read: the command must not run (the message says why, naming the user and the host).</exception>
    public HostAccount AccountOf(string owner)
    {
        if (setpriv is null)
            throw NotRun($"the blade cannot run commands as their owner: setpriv (util-linux) is not in {string.Join(", ", SetprivPlaces)}");
        if (AccountName.Problem(owner) is { } problem)
            throw NotRun($"job owner {AccountName.Quote(owner)} is not a plain account name ({problem}); the command was not run");
        HostAccount? account;
        try
        {
            account = HostAccount.Find(owner);
        }
        catch (IOException error)
        {
            throw NotRun($"job owner {AccountName.Quote(owner)} could not be looked up on host {Host} (blade {bladeName}): {error.Message}; the command was not run");
        }
        return account ?? throw NotRun($"job owner {AccountName.Quote(owner)} has no account on host {Host} (blade {bladeName}); the command was not run");
    }

    /// <summary>The program and argv that run <paramref name="program"/> (an absolute path) with <paramref name="argv"/>'s arguments as <paramref name="account"/>.</summary>
    public (string Path, List<string> Argv) Wrap(HostAccount account, string program, IReadOnlyList<string> argv) =>
        (setpriv!, ["setpriv", Number("--reuid=", account.Uid), Number("--regid=", account.Gid), "--init-groups", "--", program, .. argv.Skip(1)]);

    /// <summary>The variables a login gives an account's processes, which would otherwise be the blade's own (root's).</summary>
    public static IEnumerable<KeyValuePair<string, string>> Identity(HostAccount account) =>
        [new("HOME", account.Home), new("USER", account.Name), new("LOGNAME", account.Name)];

    // The machine's own name, which an operator creates the account on (a blade's registered host may be an alias).
    private static string Host => Environment.MachineName;

    private static string Number(string option, uint id) => option + id.ToString(CultureInfo.InvariantCulture);

    private static CommandNotStartedException NotRun(string why) => new(NotRunExitCode, why, namesProgram: false);
}
