namespace Furrow.Cli.Commands;

/// <summary>
/// Reads a password for `furrow user` and `tq --login`: the first line of a file (`-` for standard input), else standard
/// input when it is not a terminal, else typed at the terminal without echo. Never from an option's value alone,
/// since other users see command lines in `ps`.
/// </summary>
internal static class Passwords
{
    /// <summary>The password, or null with <paramref name="problem"/> set (empty, unreadable file).</summary>
    public static string? Read(string? file, string prompt, out string? problem)
    {
        problem = null;
        string? line;
        try
        {
            line = file switch
            {
                "-" => Console.In.ReadLine(),
                { } path => File.ReadLines(path).FirstOrDefault(),
                null when Console.IsInputRedirected => Console.In.ReadLine(),
                null => ReadHidden(prompt),
            };
        }
        catch (IOException error)
        {
            problem = $"could not read the password: {error.Message}";
            return null;
        }
        catch (UnauthorizedAccessException error)
        {
            problem = $"could not read the password: {error.Message}";
            return null;
        }
        if (string.IsNullOrEmpty(line))
            problem = "the password is empty";
        return string.IsNullOrEmpty(line) ? null : line;
    }

    private static string ReadHidden(string prompt)
    {
        Console.Error.Write(prompt);
        var typed = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
                break;
            if (key.Key == ConsoleKey.Backspace)
            {
                if (typed.Length > 0)
                    typed.Length--;
                continue;
            }
            if (!char.IsControl(key.KeyChar))
                typed.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return typed.ToString();
    }
}
