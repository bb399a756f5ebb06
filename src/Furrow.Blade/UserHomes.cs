using System.Runtime.InteropServices;

namespace Furrow.Blade;

/// <summary>
/// Home directories for tilde expansion of argv words: the blade's own user's (<c>$HOME</c>) and other users' from the
/// system's user database (<c>getpwnam_r</c>, so NSS sources such as LDAP count, as they do for a shell).
/// </summary>
internal static partial class UserHomes
{
    /// <summary>The home of <paramref name="user"/>, or of the user the blade runs as for null; null when unknown.</summary>
    public static string? Of(string? user)
    {
        if (user is null)
            return Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return null;
        var size = 16 * 1024;
        var buffer = Marshal.AllocHGlobal(size);
        try
        {
            return GetPasswordEntry(user, out var entry, buffer, (nuint)size, out var found) == 0 && found != IntPtr.Zero
                ? Marshal.PtrToStringUTF8(entry.Dir)
                : null;
        }
        finally
        {
            Marshal.FreeHGlobal(buffer);
        }
    }

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
