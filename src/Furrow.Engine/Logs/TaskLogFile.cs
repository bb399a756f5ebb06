using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Furrow.Engine.Logs;

/// <summary>
/// One task log open for appending during a write batch: its handle, its length, and the bytes queued for it by the
/// change being written, which reach the file in one write (a command's start and exit, reported together, cost one
/// system call instead of two).
/// </summary>
/// <remarks>
/// On Linux the file is opened with <c>open(2)</c> itself (<c>O_APPEND</c>): a <see cref="FileStream"/> or
/// <see cref="File.OpenHandle"/> adds an advisory lock, two stats and a seek to every open, and the engine opens a log
/// for nearly every report it commits. Elsewhere it is opened through <see cref="File.OpenHandle"/> and written at its
/// end. The engine is the only writer of its task logs.
/// </remarks>
internal sealed partial class TaskLogFile : IDisposable
{
    private readonly ArrayBufferWriter<byte> _queued = new();

    private TaskLogFile(SafeFileHandle handle, long length)
    {
        Handle = handle;
        Length = length;
    }

    public SafeFileHandle Handle { get; }

    /// <summary>The file's length in bytes, counting what is queued.</summary>
    public long Length { get; private set; }

    /// <summary>Opens <paramref name="path"/> for appending, creating it if needed (not its directory).</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    /// <exception cref="IOException">Any other failure, with the system's message.</exception>
    public static TaskLogFile OpenForAppend(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            var portable = File.OpenHandle(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            return new TaskLogFile(portable, RandomAccess.GetLength(portable));
        }
        var fd = Open(path, OpenWriteOnly | OpenCreate | OpenAppend | OpenCloseOnExec, 420 /* 0644 */);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            var message = $"{Marshal.GetPInvokeErrorMessage(errno)}: '{path}'";
            throw errno switch
            {
                2 /* ENOENT */ => new DirectoryNotFoundException(message),
                13 /* EACCES */ or 1 /* EPERM */ => new UnauthorizedAccessException(message),
                _ => new IOException(message),
            };
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            return new TaskLogFile(handle, RandomAccess.GetLength(handle));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Queues <paramref name="bytes"/> behind what is queued; <see cref="Flush"/> writes them.</summary>
    public void Queue(ReadOnlySpan<byte> bytes)
    {
        _queued.Write(bytes);
        Length += bytes.Length;
    }

    /// <summary>Writes everything queued to the file (not to the disk: the writer syncs the batch).</summary>
    /// <exception cref="IOException">The write failed (a full disk); nothing queued is kept.</exception>
    public void Flush()
    {
        if (_queued.WrittenCount == 0)
            return;
        var start = Length - _queued.WrittenCount;
        try
        {
            if (OperatingSystem.IsLinux())
                WriteAll(_queued.WrittenSpan);
            else
                RandomAccess.Write(Handle, _queued.WrittenSpan, start);
        }
        catch
        {
            Length = start;
            throw;
        }
        finally
        {
            _queued.ResetWrittenCount();
        }
    }

    private unsafe void WriteAll(ReadOnlySpan<byte> bytes)
    {
        var added = false;
        Handle.DangerousAddRef(ref added);
        try
        {
            var fd = (int)Handle.DangerousGetHandle();
            fixed (byte* start = bytes)
            {
                var done = 0;
                while (done < bytes.Length)
                {
                    var wrote = Write(fd, start + done, (nuint)(bytes.Length - done));
                    if (wrote < 0)
                    {
                        var errno = Marshal.GetLastPInvokeError();
                        if (errno == 4 /* EINTR */)
                            continue;
                        throw new IOException(Marshal.GetPInvokeErrorMessage(errno), errno);
                    }
                    done += (int)wrote;
                }
            }
        }
        finally
        {
            if (added)
                Handle.DangerousRelease();
        }
    }

    public void Dispose() => Handle.Dispose();

    private const int OpenWriteOnly = 0x1;
    private const int OpenCreate = 0x40;
    private const int OpenAppend = 0x400;
    private const int OpenCloseOnExec = 0x80000;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, byte* buffer, nuint count);
}
