using Furrow.Client;

namespace Furrow.Blade;

/// <summary>
/// Home directories for tilde expansion of argv words: the blade's own user's (<c>$HOME</c>) and other users' from the
/// system's user database (<see cref="HostAccount"/>).
/// </summary>
internal static class UserHomes
{
    /// <summary>The home of <paramref name="user"/>, or of the user the blade runs as for null; null when unknown.</summary>
    public static string? Of(string? user)
    {
        if (user is null)
            return Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        try
        {
            return HostAccount.Find(user)?.Home;
        }
        catch (IOException)
        {
            return null; // as a shell leaves ~name alone when it cannot look the name up
        }
    }
}
