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
