using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Furrow.Keeper;

namespace Furrow.Blade;

/// <summary>
/// The blade's connection to its command keeper (<c>furrow-keeper</c>, <see cref="CommandKeeper"/>), the process that
/// starts the blade's commands and stays their parent when the blade process ends. <see cref="ConnectAsync"/> finds the
/// keeper of the state directory or starts one: the native <c>furrow-keeper</c> beside the blade's own files, or else
/// <c>furrow-keeper.dll</c> run by the same dotnet host. Exits are handed to <see cref="Exited"/> as they come, on the
/// connection's reader; <see cref="Closed"/> completes if the keeper goes away.
/// </summary>
internal sealed class KeeperClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<KeeperMessage>> _starting = new();
    private readonly TaskCompletionSource<KeeperMessage> _state = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _reader;

    private KeeperClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>Called for each command that ended (an <c>exited</c> message), on the connection's reader.</summary>
    public Action<KeeperMessage>? Exited { get; set; }

    /// <summary>Completes when the connection to the keeper is lost.</summary>
    public Task Closed => _closed.Task;

    /// <summary>What the keeper had when the blade connected: commands still running and exits not acknowledged.</summary>
    public KeeperMessage State => _state.Task.Result;

    /// <summary>
    /// Connects to the keeper of <paramref name="stateDirectory"/>, starting one if none listens, and says hello with the
    /// blade's environment and its commands' working directory.
    /// </summary>
    /// <exception cref="IOException">No keeper could be found or started (the message says why).</exception>
    public static async Task<KeeperClient> ConnectAsync(string stateDirectory, string? workingDirectory, Action<KeeperMessage> exited,
        CancellationToken cancellationToken)
    {
        var (endPoint, _) = KeeperSocket.For(stateDirectory);
        // A keeper found "busy" holds the directory but does not listen (yet, or any more: it is ending), and one that was
        // ending as this blade connected closes the connection before its state: either way, try again.
        for (var attempt = 0; ; attempt++)
        {
            var socket = await TryConnectAsync(endPoint, cancellationToken);
            if (socket is null)
            {
                if (attempt == 50)
                    throw new IOException($"the command keeper for {stateDirectory} cannot be reached at {endPoint}");
                if (!await StartKeeperAsync(stateDirectory, cancellationToken))
                    await Task.Delay(100, cancellationToken);
                continue;
            }
            var client = new KeeperClient(socket) { Exited = exited };
            client._reader = Task.Run(client.ReadLoopAsync, CancellationToken.None);
            try
            {
                var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
                    .Select(name => $"{name}={Environment.GetEnvironmentVariable(name)}").ToList();
                await client.SendAsync(new KeeperMessage(KeeperMessage.Hello, Env: environment,
                    Cwd: Path.GetFullPath(workingDirectory ?? Environment.CurrentDirectory)), cancellationToken);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(30));
                await client._state.Task.WaitAsync(timeout.Token);
                return client;
            }
            catch (IOException) when (attempt < 50)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Asks the keeper to start a command: <paramref name="path"/> (absolute), <paramref name="argv"/>, the variables
    /// <paramref name="environment"/> adds to the blade's, output appended to <paramref name="output"/>. Returns the
    /// <c>started</c> message (its pid) or the <c>failed</c> one (errno and message).
    /// </summary>
    /// <exception cref="IOException">The keeper went away.</exception>
    public async Task<KeeperMessage> RunAsync(long iid, string path, IReadOnlyList<string> argv, IReadOnlyList<string> environment, string output)
    {
        var reply = new TaskCompletionSource<KeeperMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _starting[iid] = reply;
        await SendAsync(new KeeperMessage(KeeperMessage.Run, iid, Path: path, Argv: argv, Env: environment, Output: output), CancellationToken.None);
        return await reply.Task;
    }

    /// <summary>Tells the keeper the blade has kept invocation <paramref name="iid"/>'s exit; it forgets it. Best effort.</summary>
    public async Task AcknowledgeAsync(long iid)
    {
        try
        {
            await SendAsync(new KeeperMessage(KeeperMessage.Ack, iid), CancellationToken.None);
        }
        catch (IOException)
        {
            // The keeper is gone, and the exit with it.
        }
    }

    private async Task SendAsync(KeeperMessage message, CancellationToken cancellationToken)
    {
        var line = message.ToLine();
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            await _stream.WriteAsync(line, cancellationToken); // one write, one line
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException)
        {
            throw new IOException($"the command keeper went away: {error.Message}", error);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            using var reader = new StreamReader(_stream, new UTF8Encoding(false), leaveOpen: true);
            string? line;
            while ((line = await reader.ReadLineAsync()) is not null)
            {
                if (JsonSerializer.Deserialize(line, KeeperJsonContext.Default.KeeperMessage) is not { } message)
                    continue;
                switch (message.Op)
                {
                    case KeeperMessage.State:
                        _state.TrySetResult(message);
                        break;
                    case KeeperMessage.Started or KeeperMessage.Failed:
                        if (_starting.TryRemove(message.Iid, out var reply))
                            reply.TrySetResult(message);
                        break;
                    case KeeperMessage.ExitedOp:
                        Exited?.Invoke(message);
                        break;
                }
            }
        }
        catch (Exception error) when (error is IOException or SocketException or ObjectDisposedException or JsonException)
        {
        }
        var lost = new IOException("the command keeper went away");
        _state.TrySetException(lost);
        foreach (var iid in _starting.Keys)
            if (_starting.TryRemove(iid, out var reply))
                reply.TrySetException(lost);
        _closed.TrySetResult();
    }

    private static async Task<Socket?> TryConnectAsync(UnixDomainSocketEndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
            return socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    // Starts a keeper and waits for its "ready" (true) or "busy" (false: another is starting or ending).
    private static async Task<bool> StartKeeperAsync(string stateDirectory, CancellationToken cancellationToken)
    {
        var native = Path.Combine(AppContext.BaseDirectory, "furrow-keeper");
        var managed = Path.Combine(AppContext.BaseDirectory, "furrow-keeper.dll");
        ProcessStartInfo info;
        if (File.Exists(native))
            info = new ProcessStartInfo(native);
        else if (File.Exists(managed) && Environment.ProcessPath is { } host)
        {
            info = new ProcessStartInfo(host);
            info.ArgumentList.Add(managed);
        }
        else
            throw new IOException($"the command keeper is missing: neither {native} nor {managed} is there (publish furrow with bin/furrow)");
        info.ArgumentList.Add(Path.GetFullPath(stateDirectory));
        // None of the blade's own streams: the keeper outlives it, and must not hold a terminal or a service manager's
        // pipe open. It says "ready" on stdout, then writes to keeper.log in the state directory.
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true;
        info.UseShellExecute = false;
        using var process = Process.Start(info) ?? throw new IOException("the command keeper did not start");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var first = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (first is "ready" or "busy")
            return first == "ready";
        var said = await process.StandardError.ReadToEndAsync(timeout.Token);
        throw new IOException($"the command keeper did not start ({(first is null ? $"exit code {await ExitCodeAsync(process)}" : first)}): {said.Trim()}");
    }

    private static async Task<int> ExitCodeAsync(Process process)
    {
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
        if (_reader is not null)
            await _reader;
    }
}
