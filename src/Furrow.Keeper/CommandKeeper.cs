using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Furrow.Keeper;

/// <summary>
/// The parent of a blade's commands. A blade process asks its keeper to start each command and hears from it when one
/// ends; the keeper outlives the blade process (its own session, its own lifetime), so a blade that is killed or crashes
/// leaves its commands running with a parent that still reaps them and keeps their exit codes, and the next blade process
/// on that host adopts them (<c>state</c>). One keeper per blade state directory (an exclusive lock on
/// <c>keeper.lock</c>); one blade connected at a time, the newest (an older connection is closed). It exits once no
/// blade is connected, no command runs and every exit has been acknowledged. Each command's output goes straight to the
/// file the blade names, never through the keeper.
/// </summary>
internal sealed class CommandKeeper(string stateDirectory)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, KeeperMessage> _runningByPid = [];
    private readonly Dictionary<long, KeeperMessage> _exited = [];
    private readonly SemaphoreSlim _childStarted = new(0);
    private readonly Lock _spawnGate = new();
    private Connection? _client;
    private IReadOnlyList<string> _baseEnvironment = [];
    private string? _cwd;
    private string? _socketFile;

    /// <summary>Serves until idle (see the type); returns the process exit code: 0, or 3 when another keeper holds the directory.</summary>
    public int Run(TextWriter ready)
    {
        Directory.CreateDirectory(stateDirectory);
        FileStream keeperLock;
        try
        {
            keeperLock = new FileStream(Path.Combine(stateDirectory, "keeper.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            ready.WriteLine("busy");
            ready.Flush();
            return 3;
        }
        using var _ = keeperLock;
        Spawner.LeaveSession();
        // Hang-ups and interrupts are for the blade's terminal, not for the commands' parent.
        using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => c.Cancel = true);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = true);
        using var quit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, c => c.Cancel = true);

        var (endPoint, file) = KeeperSocket.For(stateDirectory);
        _socketFile = file;
        if (file is not null)
            File.Delete(file); // a socket a killed keeper left: ours to replace, since we hold the lock
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(endPoint);
        listener.Listen(8);
        new Thread(ReapLoop) { IsBackground = true, Name = "reaper" }.Start();
        new Thread(WatchLoop) { IsBackground = true, Name = "watch" }.Start();
        ready.WriteLine("ready");
        ready.Flush();
        // Nothing of the blade's: its terminal or a service manager's pipe must not be held open by a process that
        // outlives it. What the keeper has to say goes to keeper.log in the state directory.
        Spawner.DetachStandardStreams();
        while (true)
        {
            var socket = listener.Accept();
            if (KeeperSocket.PeerUid(socket) != Spawner.EffectiveUid)
            {
                socket.Dispose(); // another user's process: never theirs to run commands as this one
                continue;
            }
            var connection = new Connection(socket);
            Connection? previous;
            lock (_gate)
            {
                previous = _client;
                _client = connection;
            }
            previous?.Close();
            new Thread(() => Serve(connection)) { IsBackground = true, Name = "client" }.Start();
        }
    }

    private void Serve(Connection connection)
    {
        try
        {
            string? line;
            while ((line = connection.ReadLine()) is not null)
            {
                if (line.Length == 0)
                    continue;
                var message = JsonSerializer.Deserialize(line, KeeperJsonContext.Default.KeeperMessage);
                if (message is not null)
                    Handle(connection, message);
            }
        }
        catch (Exception error) when (error is IOException or SocketException or ObjectDisposedException or JsonException)
        {
            Log($"connection closed: {error.Message}");
        }
        connection.Close();
        lock (_gate)
        {
            if (_client == connection)
                _client = null;
        }
        ExitIfIdle();
    }

    private void Handle(Connection connection, KeeperMessage message)
    {
        switch (message.Op)
        {
            case KeeperMessage.Hello:
                lock (_spawnGate)
                {
                    _baseEnvironment = message.Env ?? [];
                    _cwd = message.Cwd;
                }
                lock (_gate)
                    connection.Send(new KeeperMessage(KeeperMessage.State, Running: [.. _runningByPid.Values], Exited: [.. _exited.Values]));
                break;
            case KeeperMessage.Run:
                connection.Send(Start(message));
                break;
            case KeeperMessage.Ack:
                lock (_gate)
                    _exited.Remove(message.Iid);
                break;
            default:
                connection.Send(new KeeperMessage(KeeperMessage.Failed, message.Iid, Error: $"unknown op '{message.Op}'"));
                break;
        }
    }

    private KeeperMessage Start(KeeperMessage run)
    {
        if (run.Path is null || run.Argv is null || run.Output is null)
            return new KeeperMessage(KeeperMessage.Failed, run.Iid, Errno: 22, Error: "run needs path, argv and output");
        lock (_spawnGate)
        {
            try
            {
                if (_cwd is { } cwd && !string.Equals(Environment.CurrentDirectory, cwd, StringComparison.Ordinal))
                    Environment.CurrentDirectory = cwd;
                var environment = Merge(_baseEnvironment, run.Env ?? []);
                // Under the lock the reaper takes to look a pid up, so a command that ends at once is still found.
                lock (_gate)
                {
                    var pid = Spawner.Start(run.Path, run.Argv, environment, run.Output);
                    var started = new KeeperMessage(KeeperMessage.Started, run.Iid, pid, StartedMs: DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                    _runningByPid[pid] = started;
                    // One wake-up is enough however many commands start: the reaper then waits for any child.
                    if (_childStarted.CurrentCount == 0)
                        _childStarted.Release();
                    return started;
                }
            }
            catch (SpawnException error)
            {
                return new KeeperMessage(KeeperMessage.Failed, run.Iid, Errno: error.Errno, Error: error.Message);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                return new KeeperMessage(KeeperMessage.Failed, run.Iid, Errno: 2, Error: $"{_cwd}: {error.Message}");
            }
        }
    }

    // Later entries win over earlier ones of the same name, as the blade's own variables are overridden by a command's.
    private static List<string> Merge(IReadOnlyList<string> baseEnvironment, IReadOnlyList<string> extra)
    {
        if (extra.Count == 0)
            return [.. baseEnvironment];
        var names = new HashSet<string>(extra.Select(NameOf), StringComparer.Ordinal);
        var merged = baseEnvironment.Where(e => !names.Contains(NameOf(e))).ToList();
        merged.AddRange(extra);
        return merged;
    }

    private static string NameOf(string entry) => entry.IndexOf('=') is var i and >= 0 ? entry[..i] : entry;

    private void ReapLoop()
    {
        while (true)
        {
            if (Spawner.WaitAny() is not { } ended)
            {
                _childStarted.Wait(); // no child: wait for the next start
                continue;
            }
            KeeperMessage? exited = null;
            Connection? client;
            lock (_gate)
            {
                if (_runningByPid.Remove(ended.Pid, out var started))
                {
                    exited = new KeeperMessage(KeeperMessage.ExitedOp, started.Iid, ended.Pid, ExitCode: ended.ExitCode, Signal: ended.Signal,
                        UserSecs: ended.UserSecs, SystemSecs: ended.SystemSecs, MaxRssBytes: ended.MaxRssBytes,
                        StartedMs: started.StartedMs, EndedMs: DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                    _exited[started.Iid] = exited;
                }
                client = _client;
            }
            if (exited is not null)
                client?.TrySend(exited);
            ExitIfIdle();
        }
    }

    /// <summary>How long exits are kept for a blade that does not come back, once nothing runs any more.</summary>
    public static readonly TimeSpan KeepExitsFor = TimeSpan.FromHours(24);

    // With no blade connected: once nothing runs, exits are kept for the next blade process for KeepExitsFor, or not at
    // all when the state directory is gone (the blade's site was removed). Commands still running when the state
    // directory is gone can never be adopted or reported (their output file went with it): they are ended, their process
    // groups asked with SIGTERM and, one round later, told with SIGKILL.
    private void WatchLoop()
    {
        DateTime? unclaimedSince = null;
        var termed = new HashSet<int>();
        while (true)
        {
            Thread.Sleep(TimeSpan.FromSeconds(5));
            lock (_gate)
            {
                if (_client is null && _runningByPid.Count > 0 && !Directory.Exists(stateDirectory))
                {
                    foreach (var pid in _runningByPid.Keys)
                        Spawner.SignalGroup(pid, termed.Add(pid) ? SigTerm : SigKill);
                    continue; // the reaper takes their exits; the state directory's absence then clears them below
                }
                if (_client is not null || _runningByPid.Count > 0)
                {
                    unclaimedSince = null;
                    continue;
                }
                unclaimedSince ??= DateTime.UtcNow;
                if (!Directory.Exists(stateDirectory) || DateTime.UtcNow - unclaimedSince > KeepExitsFor)
                {
                    Log($"{_exited.Count} exit(s) never claimed by a blade process; keeper ending");
                    _exited.Clear();
                }
            }
            ExitIfIdle();
        }
    }

    private const int SigTerm = 15;
    private const int SigKill = 9;

    private void Log(string message)
    {
        try
        {
            File.AppendAllText(Path.Combine(stateDirectory, "keeper.log"),
                $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} furrow-keeper[{Environment.ProcessId}]: {message}\n");
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // Nowhere to say it.
        }
    }

    private void ExitIfIdle()
    {
        lock (_gate)
        {
            if (_client is not null || _runningByPid.Count > 0 || _exited.Count > 0)
                return;
            try
            {
                if (_socketFile is not null)
                    File.Delete(_socketFile);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                // The directory went with the blade's site.
            }
            Environment.Exit(0);
        }
    }

    /// <summary>A connected blade: lines in, lines out; sends from the client thread and the reaper are serialised.</summary>
    private sealed class Connection(Socket socket)
    {
        private readonly NetworkStream _stream = new(socket, ownsSocket: true);
        private readonly Lock _writeGate = new();
        private StreamReader? _reader;

        public string? ReadLine() => (_reader ??= new StreamReader(_stream, new UTF8Encoding(false))).ReadLine();

        public void Send(KeeperMessage message)
        {
            var line = message.ToLine();
            lock (_writeGate)
                _stream.Write(line.Span); // one write, one line
        }

        public void TrySend(KeeperMessage message)
        {
            try
            {
                Send(message);
            }
            catch (Exception error) when (error is IOException or SocketException or ObjectDisposedException)
            {
                // The blade went away; the exit stays kept for the next one.
            }
        }

        public void Close() => _stream.Dispose();
    }
}
