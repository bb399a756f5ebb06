using Furrow.Client;
using System.Collections.Concurrent;
using Furrow.Keeper;

namespace Furrow.Blade.Tests;

/// <summary>
/// Commands switched to their owner's account, started by a real furrow-keeper as the blade starts them. Running as
/// another user needs root: those tests fail, saying so, when the tests do not run as root.
/// </summary>
public sealed class OwnerSwitchTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _state = Path.Combine(Path.GetTempPath(), "furrow-owner-test-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<KeeperMessage>> _exits = new();
    private readonly OwnerSwitch _switch = new(OwnerSwitch.FindSetpriv(), "test-blade");

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_state, "output"));
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        if (Directory.Exists(_state))
            Directory.Delete(_state, recursive: true);
        return Task.CompletedTask;
    }

    private TaskCompletionSource<KeeperMessage> Exit(long iid) => _exits.GetOrAdd(iid, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));

    private string Output(long iid) => Path.Combine(_state, "output", iid.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task AWrappedCommand_RunsAsTheAccount_WithItsGroupsAndNoCapabilities_AndIsTheKeepersChildItself()
    {
        Assert.True(Environment.IsPrivilegedProcess, "this test needs root: only root can run a command as another user");
        var nobody = _switch.AccountOf("nobody");
        var (path, argv) = _switch.Wrap(nobody, "/bin/sh", ["sh", "-c", "id -u; id -g; id -G; grep -E '^Cap(Prm|Eff)' /proc/self/status; echo $$; exit 5"]);
        await using var keeper = await KeeperClient.ConnectAsync(_state, _state, exited => Exit(exited.Iid).TrySetResult(exited), CancellationToken.None);

        var started = await keeper.RunAsync(1, path, argv, [], Output(1));
        var exited = await Exit(1).Task.WaitAsync(Patience);

        var lines = File.ReadAllLines(Output(1));
        Assert.Equal(KeeperMessage.Started, started.Op);
        Assert.Equal([$"{nobody.Uid}", $"{nobody.Gid}", Groups("nobody"), "CapPrm:\t0000000000000000", "CapEff:\t0000000000000000", $"{started.Pid}"], lines);
        // setpriv execs the command in place: the pid the blade journals, meters and signals is the command's own, and
        // its exit code and resource use come back from the keeper as for any command.
        Assert.Equal((started.Pid, 5), (exited.Pid, exited.ExitCode));
        Assert.True(exited.MaxRssBytes > 0);
    }

    [Fact]
    public void AccountOf_RefusesAnOwnerWithNoAccount_NamingTheUserAndTheHost()
    {
        var error = Assert.Throws<CommandNotStartedException>(() => _switch.AccountOf("nosuchuser4711"));

        Assert.Equal($"job owner 'nosuchuser4711' has no account on host {Environment.MachineName} (blade test-blade); the command was not run", error.Message);
        Assert.Equal(OwnerSwitch.NotRunExitCode, error.ExitCode);
        Assert.False(error.NamesProgram);
    }

    [Theory]
    [InlineData("--reuid=0", "job owner '--reuid=0' is not a plain account name (it starts with '-')")]
    [InlineData("root\n", "job owner 'root\\u000a' is not a plain account name (it holds the character U+000A")]
    [InlineData("../root", "job owner '../root' is not a plain account name (it starts with '.')")]
    public void AccountOf_RefusesANameThatIsNotPlain_BeforeLookingItUp(string owner, string message) =>
        Assert.StartsWith(message, Assert.Throws<CommandNotStartedException>(() => _switch.AccountOf(owner)).Message);

    [Fact]
    public void Wrap_PassesTheIdsAsNumbers_AndTheProgramsPath_AfterTheEndOfSetprivsOptions()
    {
        var account = new HostAccount("render", 1234, 567, "/home/render");

        var (path, argv) = _switch.Wrap(account, "/usr/bin/render", ["render", "-f", "--reuid=0"]);

        Assert.Equal(OwnerSwitch.FindSetpriv(), path);
        Assert.Equal(["setpriv", "--reuid=1234", "--regid=567", "--init-groups", "--", "/usr/bin/render", "-f", "--reuid=0"], argv);
        Assert.Equal([new("HOME", "/home/render"), new("USER", "render"), new KeyValuePair<string, string>("LOGNAME", "render")], OwnerSwitch.Identity(account));
    }

    // The account's groups as id(1) works them out from the group database (initgroups' list), space-separated.
    private static string Groups(string user)
    {
        using var id = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("id", ["-G", user]) { RedirectStandardOutput = true })!;
        var groups = id.StandardOutput.ReadToEnd().Trim();
        id.WaitForExit();
        return groups;
    }
}
