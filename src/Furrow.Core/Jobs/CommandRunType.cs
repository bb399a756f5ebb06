using Furrow.Core.Scripts;

namespace Furrow.Core.Jobs;

/// <summary>Why a command is in a task: its regular work, or cleanup that follows it.</summary>
public enum CommandRunType
{
    Regular,
    Cleanup,
    PostAlways,
    PostError,
    PostDone,
}

/// <summary>Names of run types and command kinds as the database and listings write them.</summary>
public static class CommandNames
{
    public static string ToName(this CommandRunType runType) => runType switch
    {
        CommandRunType.Regular => "regular",
        CommandRunType.Cleanup => "cleanup",
        CommandRunType.PostAlways => "post_always",
        CommandRunType.PostError => "post_error",
        CommandRunType.PostDone => "post_done",
        _ => throw new ArgumentOutOfRangeException(nameof(runType)),
    };

    /// <exception cref="FormatException">The name is not a run type.</exception>
    public static CommandRunType ParseRunType(string name) => name switch
    {
        "regular" => CommandRunType.Regular,
        "cleanup" => CommandRunType.Cleanup,
        "post_always" => CommandRunType.PostAlways,
        "post_error" => CommandRunType.PostError,
        "post_done" => CommandRunType.PostDone,
        _ => throw new FormatException($"unknown command run type '{name}'"),
    };

    /// <summary>`remote`, `local` or `builtin`.</summary>
    public static string ToName(this CommandKind kind) => kind switch
    {
        CommandKind.Local => "local",
        CommandKind.Builtin => "builtin",
        _ => "remote",
    };

    /// <exception cref="FormatException">The name is not a command kind.</exception>
    public static CommandKind ParseKind(string name) => name switch
    {
        "remote" => CommandKind.Remote,
        "local" => CommandKind.Local,
        "builtin" => CommandKind.Builtin,
        _ => throw new FormatException($"unknown command kind '{name}'"),
    };
}
