namespace Furrow.Integration.Tests.Support;

/// <summary>Fills a (small, test-mounted) file system to the last byte.</summary>
public static class DiskFill
{
    /// <summary>Writes a file in <paramref name="directory"/> until the disk is full; returns its path, to delete to make room again.</summary>
    public static async Task<string> FillAsync(string directory)
    {
        var filler = Path.Combine(directory, "filler");
        await using var stream = File.Create(filler);
        var block = new byte[64 * 1024];
        try
        {
            while (true)
                await stream.WriteAsync(block);
        }
        catch (IOException)
        {
            // the disk is full now
        }
        return filler;
    }
}
