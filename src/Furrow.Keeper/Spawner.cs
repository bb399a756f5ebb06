using System.Runtime.InteropServices;
using System.Text;

namespace Furrow.Keeper;

/// <summary>
/// Starts a command with posix_spawn(3) (glibc runs it with vfork semantics: no copy of the keeper's memory), and reaps
/// ended children with wait4(2). The child gets every signal at its default disposition and none blocked (the .NET
/// runtime ignores SIGPIPE, which a child must not inherit), leads a process group of its own (so its whole tree can be
/// signalled), reads /dev/null, and appends stdout and stderr to one file. Linux with glibc or musl only.
/// </summary>
internal static unsafe partial class Spawner
{
    private const int ORdOnly = 0;
    private const int OWrOnly = 1;
    private const int OCreat = 0x40;
    private const int OAppend = 0x400;

    private const short PosixSpawnSetPGroup = 0x02;
    private const short PosixSpawnSetSigDef = 0x04;
    private const short PosixSpawnSetSigMask = 0x08;

    // Opaque glibc/musl structures, allocated larger than any libc makes them (glibc: 80, 336 and 128 bytes).
    private const int FileActionsSize = 256;
    private const int AttrSize = 1024;
    private const int SigSetSize = 256;
    private const int SigSetBytes = 128; // glibc's sigset_t: 1024 bits

    /// <summary>Starts <paramref name="path"/>; returns its pid, or throws with the errno posix_spawn gave (the file is missing, not executable, ...).</summary>
    /// <exception cref="SpawnException">The command could not be started.</exception>
    public static int Start(string path, IReadOnlyList<string> argv, IReadOnlyList<string> environment, string output)
    {
        var fileActions = NativeMemory.AllocZeroed(FileActionsSize);
        var attr = NativeMemory.AllocZeroed(AttrSize);
        var signals = NativeMemory.AllocZeroed(SigSetSize);
        var strings = new List<nint>();
        try
        {
            Check(posix_spawn_file_actions_init(fileActions), "posix_spawn_file_actions_init");
            Check(posix_spawnattr_init(attr), "posix_spawnattr_init");
            Check(posix_spawn_file_actions_addopen(fileActions, 0, Utf8("/dev/null", strings), ORdOnly, 0), "addopen stdin");
            Check(posix_spawn_file_actions_addopen(fileActions, 1, Utf8(output, strings), OWrOnly | OCreat | OAppend, Convert.ToInt32("644", 8)), "addopen stdout");
            Check(posix_spawn_file_actions_adddup2(fileActions, 1, 2), "adddup2 stderr");
            Check(posix_spawnattr_setflags(attr, PosixSpawnSetPGroup | PosixSpawnSetSigDef | PosixSpawnSetSigMask), "setflags");
            Check(posix_spawnattr_setpgroup(attr, 0), "setpgroup");
            // Every bit set by hand: sigfillset leaves out glibc's own two real-time signals (32 and 33), which its
            // posix_spawn then leaves ignored in the child, across the exec.
            new Span<byte>(signals, SigSetBytes).Fill(0xff);
            Check(posix_spawnattr_setsigdefault(attr, signals), "setsigdefault");
            sigemptyset(signals);
            Check(posix_spawnattr_setsigmask(attr, signals), "setsigmask");
            var args = Utf8Array(argv, strings);
            var env = Utf8Array(environment, strings);
            int pid;
            var error = posix_spawn(&pid, Utf8(path, strings), fileActions, attr, args, env);
            if (error != 0)
                throw new SpawnException(error, $"{path}: {Marshal.GetPInvokeErrorMessage(error)}");
            return pid;
        }
        finally
        {
            posix_spawn_file_actions_destroy(fileActions);
            posix_spawnattr_destroy(attr);
            NativeMemory.Free(fileActions);
            NativeMemory.Free(attr);
            NativeMemory.Free(signals);
            foreach (var s in strings)
                NativeMemory.Free((void*)s);
        }
    }

    /// <summary>
    /// Waits for any child to end and reaps it: its pid, exit code (128 + the signal when a signal ended it), the signal,
    /// and what it and the children it reaped used. Null when there is no child (ECHILD).
    /// </summary>
    public static (int Pid, int ExitCode, int? Signal, double UserSecs, double SystemSecs, long MaxRssBytes)? WaitAny()
    {
        var usage = stackalloc long[18]; // struct rusage: two timevals, then 14 longs (ru_maxrss first, in KiB)
        while (true)
        {
            int status;
            var pid = wait4(-1, &status, 0, usage);
            if (pid > 0)
            {
                var signal = status & 0x7f;
                var exitCode = signal == 0 ? (status >> 8) & 0xff : 128 + signal;
                return (pid, exitCode, signal == 0 ? null : signal, usage[0] + usage[1] / 1e6, usage[2] + usage[3] / 1e6, usage[4] * 1024);
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EIntr)
                continue;
            return null; // ECHILD: nothing to wait for
        }
    }

    /// <summary>Makes the keeper a session leader, so signals for the blade's session or process group (a terminal's Ctrl-C) do not reach it.</summary>
    public static void LeaveSession() => setsid();

    /// <summary>Points the keeper's stdin, stdout and stderr at /dev/null.</summary>
    public static void DetachStandardStreams()
    {
        var devNull = Utf8Z("/dev/null"u8);
        fixed (byte* path = devNull)
        {
            var fd = open(path, ORdWr);
            if (fd < 0)
                return;
            for (var target = 0; target <= 2; target++)
                dup2(fd, target);
            if (fd > 2)
                close(fd);
        }
    }

    /// <summary>Sends <paramref name="signal"/> (15 SIGTERM, 9 SIGKILL) to the process group a command leads; false when it is gone.</summary>
    public static bool SignalGroup(int pid, int signal) => pid > 0 && kill(-pid, signal) == 0;

    private static byte[] Utf8Z(ReadOnlySpan<byte> value) => [.. value, 0];

    [LibraryImport("libc")]
    private static partial int kill(int pid, int signal);

    private const int ORdWr = 2;

    [LibraryImport("libc")]
    private static partial int open(byte* path, int flags);

    [LibraryImport("libc")]
    private static partial int dup2(int fd, int target);

    [LibraryImport("libc")]
    private static partial int close(int fd);

    /// <summary>The keeper's effective user id.</summary>
    public static uint EffectiveUid => geteuid();

    private const int EIntr = 4;

    private static void Check(int error, string what)
    {
        if (error != 0)
            throw new SpawnException(error, $"{what}: {Marshal.GetPInvokeErrorMessage(error)}");
    }

    private static byte* Utf8(string value, List<nint> strings)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        var buffer = (byte*)NativeMemory.Alloc((nuint)count + 1);
        Encoding.UTF8.GetBytes(value, new Span<byte>(buffer, count));
        buffer[count] = 0;
        strings.Add((nint)buffer);
        return buffer;
    }

    private static byte** Utf8Array(IReadOnlyList<string> values, List<nint> strings)
    {
        var array = (byte**)NativeMemory.AllocZeroed((nuint)(values.Count + 1), (nuint)sizeof(byte*));
        strings.Add((nint)array);
        for (var i = 0; i < values.Count; i++)
            array[i] = Utf8(values[i], strings);
        return array;
    }

    [LibraryImport("libc")]
    private static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_init(void* fileActions);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_destroy(void* fileActions);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_addopen(void* fileActions, int fd, byte* path, int flags, int mode);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_adddup2(void* fileActions, int fd, int newFd);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_init(void* attr);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setpgroup(void* attr, int group);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setsigdefault(void* attr, void* signals);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setsigmask(void* attr, void* signals);

    [LibraryImport("libc")]
    private static partial int sigemptyset(void* signals);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int wait4(int pid, int* status, int options, long* usage);

    [LibraryImport("libc")]
    private static partial int setsid();

    [LibraryImport("libc")]
    private static partial uint geteuid();
}

/// <summary>A command that could not be started: <see cref="Errno"/> is the error posix_spawn gave (ENOENT 2, EACCES 13, ENOEXEC 8, ...).</summary>
internal sealed class SpawnException(int errno, string message) : Exception(message)
{
    public int Errno { get; } = errno;
}
