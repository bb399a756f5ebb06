namespace Furrow.Client.Authoring;

/// <summary>
/// A job built with the author API was refused before it was written or spooled: <see cref="Exception.Message"/> says
/// what is wrong and names the job, task or command (by title and, where it helps, by the task number Furrow would give
/// it, T1 being the first task in depth-first order).
/// </summary>
/// <remarks>
/// Thrown for mistakes in the program that builds the job, never for anything the engine or network does, so it is
/// not worth retrying: fix the job.
/// </remarks>
public sealed class InvalidJobException : InvalidOperationException
{
    /// <summary>A refusal with the given reason.</summary>
    public InvalidJobException(string message)
        : base(message)
    {
    }
}
