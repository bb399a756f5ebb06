using System.Runtime.InteropServices;

namespace Furrow.Client;

/// <summary>
/// An account of this host's user database (a blade's, to run commands as their owner; the engine's, for crews.config's
/// @syslogins), as <c>getpwnam_r(3)</c> finds it (so NSS sources such as LDAP or SSSD
/// count, as they do for <c>login</c> and a shell): its name, uid, primary gid and home directory.
/// </summary>
internal sealed partial record HostAccount(string Name, uint Uid, uint Gid, string Home)
{
    /// <summary>The account named <paramref name="name"/>; null when the host has none of that name.</summary>
    /// <exception cref="IOException">The user database could not be read (an NSS source that does not answer).</exception>
    public static HostAccount? Find(string name)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return null;
        // 16 KB holds any ordinary entry; a larger one (ERANGE) is tried again with more room.
        for (var size = 16 * 1024; ; size *= 4)
        {
            var buffer = Marshal.AllocHGlobal(size);
            try
            {
                var error = GetPasswordEntry(name, out var entry, buffer, (nuint)size, out var found);
                if (error == ERange && size < 4 * 1024 * 1024)
                    continue;
                // ENOENT, ESRCH, EBADF and EPERM mean "no such user" to several libcs, as does a null result.
                if (found == IntPtr.Zero && (error is 0 or ENoEnt or ESrch or EBadF or EPerm))
                    return null;
                if (error != 0)
                    throw new IOException($"the user database could not be read for '{name}': {Marshal.GetPInvokeErrorMessage(error)}");
                return new HostAccount(Marshal.PtrToStringUTF8(entry.Name) ?? name, entry.Uid, entry.Gid, Marshal.PtrToStringUTF8(entry.Dir) ?? "/");
            }
            finally
            {
                Marshal.FreeHGlobal(buffer);
            }
        }
    }

    private const int EPerm = 1;
    private const int ENoEnt = 2;
    private const int ESrch = 3;
    private const int EBadF = 9;
    private const int ERange = 34;

    // struct passwd of glibc and the BSDs up to pw_dir, in order (pw_name, pw_passwd, pw_uid, pw_gid, pw_gecos, pw_dir).
    [StructLayout(LayoutKind.Sequential)]
    private struct PasswordEntry
    {
        public IntPtr Name;
        public IntPtr Password;
        public uint Uid;
        public uint Gid;
        public IntPtr Gecos;
        public IntPtr Dir;
        public IntPtr Shell;
        // Room for the fields some systems add after pw_shell (pw_change, pw_class, pw_expire on the BSDs).
        public IntPtr Spare1;
        public IntPtr Spare2;
        public IntPtr Spare3;
    }

    [LibraryImport("libc", EntryPoint = "getpwnam_r", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int GetPasswordEntry(string name, out PasswordEntry entry, IntPtr buffer, nuint size, out IntPtr result);
}
