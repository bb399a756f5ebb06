using System.Collections.Concurrent;
using System.Text;
using Furrow.Keeper;

namespace Furrow.Blade.Tests;

/// <summary>
/// The command keeper as a blade uses it: a real furrow-keeper process (furrow-keeper.dll beside the tests, started by
/// <see cref="KeeperClient"/>) starting real commands in a temp state directory.
/// </summary>
public sealed class CommandKeeperTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _state = Path.Combine(Path.GetTempPath(), "furrow-keeper-test-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<KeeperMessage>> _exits = new();

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

    private Task<KeeperClient> ConnectAsync() =>
        KeeperClient.ConnectAsync(_state, _state, exited => Exit(exited.Iid).TrySetResult(exited), CancellationToken.None);

    private TaskCompletionSource<KeeperMessage> Exit(long iid) => _exits.GetOrAdd(iid, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));

    private string Output(long iid) => Path.Combine(_state, "output", iid.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private Task<KeeperMessage> RunAsync(KeeperClient keeper, long iid, string script, params string[] environment) =>
        keeper.RunAsync(iid, "/bin/sh", ["sh", "-c", script], environment, Output(iid));

    [Fact]
    public async Task RunsACommand_WithItsArgvAndEnvironment_InTheBladesDirectory_OutputAppendedToItsFile_AndSaysItsExitCode()
    {
        await using var keeper = await ConnectAsync();
        File.WriteAllText(Output(1), "kept before\n");

        var started = await RunAsync(keeper, 1, "echo \"$0 $FURROW_TEST_VALUE $(pwd)\"; echo oops >&2; exit 7", "FURROW_TEST_VALUE=a b");
        var exited = await Exit(1).Task.WaitAsync(Patience);

        Assert.Equal(KeeperMessage.Started, started.Op);
        Assert.True(started.Pid > 0);
        Assert.Equal((1L, started.Pid, 7, (int?)null), (exited.Iid, exited.Pid, exited.ExitCode, exited.Signal));
        Assert.NotNull(exited.UserSecs);
        Assert.Equal($"kept before\nsh a b {Path.GetFullPath(_state)}\noops\n", File.ReadAllText(Output(1)));
    }

    [Fact]
    public async Task ACommandStarts_WithNoSignalIgnoredOrBlocked_InAProcessGroupOfItsOwn_ReadingNothing()
    {
        await using var keeper = await ConnectAsync();

        await RunAsync(keeper, 2, "grep -E '^Sig(Ign|Blk)' /proc/self/status; cut -d' ' -f5 /proc/$$/stat; echo $$; cat; echo read-nothing");
        var exited = await Exit(2).Task.WaitAsync(Patience);

        var lines = File.ReadAllLines(Output(2));
        Assert.Equal(0, exited.ExitCode);
        Assert.Equal("SigBlk:\t0000000000000000", lines[0]);
        Assert.Equal("SigIgn:\t0000000000000000", lines[1]); // the .NET runtime ignores SIGPIPE; a command must not
        Assert.Equal(lines[3], lines[2]); // its own process group
        Assert.Equal("read-nothing", lines[4]); // stdin is /dev/null: cat ends at once
    }

    [Fact]
    public async Task ACommandEndedByASignal_ExitsWith128PlusIt_AsAShellReports()
    {
        await using var keeper = await ConnectAsync();

        await RunAsync(keeper, 3, "kill -TERM $$; sleep 5");
        var exited = await Exit(3).Task.WaitAsync(Patience);

        Assert.Equal((143, (int?)15), (exited.ExitCode, exited.Signal));
    }

    [Fact]
    public async Task AProgramThatCannotBeStarted_IsFailed_WithTheErrnoAndItsName()
    {
        await using var keeper = await ConnectAsync();

        var missing = await keeper.RunAsync(4, "/no/such/program", ["program"], [], Output(4));
        var plain = Path.Combine(_state, "plain");
        File.WriteAllText(plain, "not a program");
        if (OperatingSystem.IsLinux())
            File.SetUnixFileMode(plain, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var notExecutable = await keeper.RunAsync(5, plain, ["plain"], [], Output(5));

        Assert.Equal((KeeperMessage.Failed, (int?)2), (missing.Op, missing.Errno));
        Assert.Contains("/no/such/program", missing.Error);
        Assert.Equal((KeeperMessage.Failed, (int?)13), (notExecutable.Op, notExecutable.Errno));
    }

    [Fact]
    public async Task AnExit_WhileNoBladeIsConnected_IsKeptForTheNextConnection_UntilAcknowledged()
    {
        var first = await ConnectAsync();
        var started = await RunAsync(first, 6, "while [ ! -e release ]; do sleep 0.05; done; echo done; exit 4");
        await first.DisposeAsync();
        File.WriteAllText(Path.Combine(_state, "release"), "");
        await WaitUntilAsync(() => IsGoneOrZombie(started.Pid));
        await Task.Delay(200); // the keeper reaps it

        await using (var second = await ConnectAsync())
        {
            var kept = Assert.Single(second.State.Exited ?? []);
            Assert.Equal((6L, started.Pid, 4), (kept.Iid, kept.Pid, kept.ExitCode));
            Assert.Empty(second.State.Running ?? []);
            await second.AcknowledgeAsync(6);
        }
        await using var third = await ConnectAsync();
        Assert.Empty(third.State.Exited ?? []);
        Assert.Equal("done\n", File.ReadAllText(Output(6)));
    }

    [Fact]
    public async Task ACommandStillRunning_IsNamedToTheNextConnection_AndItsExitGoesThere()
    {
        var first = await ConnectAsync();
        var started = await RunAsync(first, 7, "while [ ! -e release ]; do sleep 0.05; done; exit 5");
        await first.DisposeAsync();

        await using var second = await ConnectAsync();
        var running = Assert.Single(second.State.Running ?? []);
        Assert.Equal((7L, started.Pid), (running.Iid, running.Pid));
        File.WriteAllText(Path.Combine(_state, "release"), "");
        Assert.Equal(5, (await Exit(7).Task.WaitAsync(Patience)).ExitCode);
    }

    [Fact]
    public async Task TheKeeperEnds_OnceNoBladeIsConnected_AndItHoldsNothing()
    {
        var keeper = await ConnectAsync();
        await RunAsync(keeper, 8, "exit 0");
        await Exit(8).Task.WaitAsync(Patience);
        await keeper.AcknowledgeAsync(8);
        var socket = Path.Combine(_state, "keeper.sock");
        Assert.True(File.Exists(socket) || Encoding.UTF8.GetByteCount(socket) > 100);
        await keeper.DisposeAsync();

        // Gone: its lock is free.
        await WaitUntilAsync(() => !File.Exists(socket) && CanLock(Path.Combine(_state, "keeper.lock")));
    }

    [Fact]
    public async Task CommandsStillRunning_WhenTheStateDirectoryIsRemovedWithNoBladeConnected_AreEnded_AndTheKeeperEnds()
    {
        var keeper = await ConnectAsync();
        // Deaf to SIGTERM, as a renderer stuck in I/O can be: the keeper must go on to SIGKILL.
        var started = await RunAsync(keeper, 9, "trap '' TERM; while :; do sleep 0.05; done");
        var keeperPid = KeeperPids().Single();
        await keeper.DisposeAsync();
        await Task.Delay(500);
        Assert.True(Directory.Exists($"/proc/{started.Pid}"), "the command runs on while its state directory is there");

        Directory.Delete(_state, recursive: true);

        await WaitUntilAsync(() => !Directory.Exists($"/proc/{started.Pid}") && !Directory.Exists($"/proc/{keeperPid}"));
    }

    // The keeper serving this test's state directory, found by its command line.
    private List<int> KeeperPids()
    {
        var pids = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), System.Globalization.CultureInfo.InvariantCulture, out var pid))
                continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(entry, "cmdline"));
                if (cmdline.Contains("furrow-keeper", StringComparison.Ordinal) && cmdline.Contains(_state, StringComparison.Ordinal))
                    pids.Add(pid);
            }
            catch (IOException)
            {
            }
        }
        return pids;
    }

    private static bool CanLock(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    // The process can be reaped between any two looks at /proc: its stat file going away mid-read means gone too.
    private static bool IsGoneOrZombie(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat").Contains(") Z", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "timed out");
            await Task.Delay(20);
        }
    }
}
