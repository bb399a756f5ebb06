using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Furrow.Engine.Access;

/// <summary>
/// Who is at the other end of the engine's unix socket, as the kernel says (SO_PEERCRED): the one way a caller is known
/// without a token. Only the engine's own account and root are trusted there (both could read the job database
/// anyway); any other account connecting to the socket is anonymous and must log in. Nothing secret is handed out, so
/// a client cannot be tricked into giving a credential to another engine.
/// </summary>
public static partial class LocalPeer
{
    // sockaddr_un.sun_path is 108 bytes on Linux, with its terminating NUL.
    private const int MaxSocketPathBytes = 107;

    /// <summary>
    /// `&lt;data&gt;/engine.sock`, or null when that path is too long for a unix socket (then only tokens authenticate).
    /// </summary>
    public static string? SocketPathFor(string dataDirectory)
    {
        var path = Path.Combine(Path.GetFullPath(dataDirectory), "engine.sock");
        return System.Text.Encoding.UTF8.GetByteCount(path) <= MaxSocketPathBytes ? path : null;
    }

    /// <summary>The engine process's effective user id.</summary>
    public static uint EffectiveUserId => geteuid();

    /// <summary>
    /// The account name of the caller when the request came through the unix socket from the engine's own account
    /// (<see cref="Environment.UserName"/>) or root ("root"); null otherwise.
    /// </summary>
    public static string? Identify(HttpContext context)
    {
        if (context.Connection.LocalIpAddress is not null || context.Features.Get<IConnectionSocketFeature>()?.Socket is not { } socket
            || socket.AddressFamily != AddressFamily.Unix)
            return null;
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        Span<byte> credentials = stackalloc byte[12];
        if (socket.GetRawSocketOption(SolSocket, SoPeerCred, credentials) != 12)
            return null;
        var uid = BitConverter.ToUInt32(credentials[4..8]);
        return uid == EffectiveUserId ? Environment.UserName : uid == 0 ? "root" : null;
    }

    /// <summary>Whether <paramref name="login"/> is a name <see cref="Identify"/> gives: the engine's own account or root.</summary>
    public static bool Trusts(string login) => login == Environment.UserName || login == "root";

    /// <summary>Whether the request came over loopback or the unix socket, where the socket's path may be told.</summary>
    public static bool IsLocal(HttpContext context) =>
        context.Connection.RemoteIpAddress is not { } address || IPAddress.IsLoopback(address);

    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    [LibraryImport("libc", SetLastError = false)]
    private static partial uint geteuid();
}
