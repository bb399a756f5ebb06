using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Furrow.Keeper;

/// <summary>
/// Where a blade's keeper listens: <c>keeper.sock</c> in the blade's state directory, or, when that path is longer than a
/// Unix socket address holds (108 bytes), a name in Linux's abstract socket namespace made from a hash of the
/// directory's full path. Either way the keeper serves only processes of its own user (<see cref="PeerUid"/>).
/// </summary>
internal static class KeeperSocket
{
    private const int MaxPathBytes = 100;

    /// <summary>The endpoint for <paramref name="stateDirectory"/>, and the file to delete before binding (null for an abstract name).</summary>
    public static (UnixDomainSocketEndPoint EndPoint, string? File) For(string stateDirectory)
    {
        var full = System.IO.Path.GetFullPath(stateDirectory);
        var file = System.IO.Path.Combine(full, "keeper.sock");
        if (Encoding.UTF8.GetByteCount(file) <= MaxPathBytes)
            return (new UnixDomainSocketEndPoint(file), file);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(full)))[..32];
        return (new UnixDomainSocketEndPoint("\0furrow-keeper-" + hash), null);
    }

    /// <summary>The user id of the process at the other end of a connected Unix socket (SO_PEERCRED), or null when it cannot be had.</summary>
    public static uint? PeerUid(Socket socket)
    {
        Span<byte> credentials = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        try
        {
            return socket.GetRawSocketOption(SolSocket, SoPeerCred, credentials) >= 8
                ? BitConverter.ToUInt32(credentials[4..8])
                : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    private const int SolSocket = 1;
    private const int SoPeerCred = 17;
}
