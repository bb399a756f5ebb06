using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Furrow.Keeper;

/// <summary>
/// One line of the keeper's protocol: UTF-8 JSON, one object per line, over the keeper's Unix socket
/// (<see cref="KeeperSocket"/>). <c>Op</c> says which message it is; the other fields are set as that message needs.
/// <list type="bullet">
/// <item>Blade to keeper: <c>hello</c> (<c>Env</c>: the blade's environment as <c>NAME=value</c>, <c>Cwd</c>: where its
/// commands run), answered by <c>state</c>; <c>run</c> (<c>Iid</c>, <c>Path</c>: the program's absolute path, <c>Argv</c>,
/// <c>Env</c>: variables added for this command, <c>Output</c>: the file its stdout and stderr are appended to), answered
/// by <c>started</c> (<c>Pid</c>, <c>StartedMs</c>) or <c>failed</c> (<c>Errno</c>, <c>Error</c>); <c>ack</c> (<c>Iid</c>): the blade has
/// kept that exit, the keeper forgets it.</item>
/// <item>Keeper to blade: <c>state</c> (<c>Running</c>: each command still running, with <c>Iid</c> and <c>Pid</c>;
/// <c>Exited</c>: each exit not acknowledged yet), and <c>exited</c> whenever a command ends: <c>Iid</c>, <c>Pid</c>,
/// <c>ExitCode</c> (128 + the signal when a signal ended it, as a shell reports it), <c>Signal</c>, <c>StartedMs</c> and
/// <c>EndedMs</c> (when the keeper started it and reaped it, Unix ms on the host's clock), and what the
/// command's process and the children it waited for used (<c>UserSecs</c>, <c>SystemSecs</c>: CPU seconds;
/// <c>MaxRssBytes</c>: the largest resident set of any one of them).</item>
/// </list>
/// </summary>
internal sealed record KeeperMessage(
    string Op,
    long Iid = 0,
    int Pid = 0,
    string? Path = null,
    IReadOnlyList<string>? Argv = null,
    IReadOnlyList<string>? Env = null,
    string? Cwd = null,
    string? Output = null,
    int? ExitCode = null,
    int? Signal = null,
    double? UserSecs = null,
    double? SystemSecs = null,
    long? MaxRssBytes = null,
    int? Errno = null,
    long? StartedMs = null,
    long? EndedMs = null,
    string? Error = null,
    IReadOnlyList<KeeperMessage>? Running = null,
    IReadOnlyList<KeeperMessage>? Exited = null)
{
    public const string Hello = "hello";
    public const string State = "state";
    public const string Run = "run";
    public const string Started = "started";
    public const string Failed = "failed";
    public const string ExitedOp = "exited";
    public const string Ack = "ack";

    /// <summary>The message as one line of the protocol: its JSON and a newline, for one write on the socket.</summary>
    public ReadOnlyMemory<byte> ToLine()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
            JsonSerializer.Serialize(writer, this, KeeperJsonContext.Default.KeeperMessage);
        buffer.Write("\n"u8);
        return buffer.WrittenMemory;
    }
}

[JsonSerializable(typeof(KeeperMessage))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault)]
internal sealed partial class KeeperJsonContext : JsonSerializerContext;
