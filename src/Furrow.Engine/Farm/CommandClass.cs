using Furrow.Core.Scheduling;

namespace Furrow.Engine.Farm;

/// <summary>
/// Commands of one job that ask the same of a blade (service key, limits, slots, engine host only). Dispatch decides
/// once per class and blade, not once per task, so a blade that cannot run a class skips all of its tasks at once.
/// </summary>
internal sealed class CommandClass(int id, CommandNeeds needs)
{
    /// <summary>Unique within its job; orders a job's classes deterministically.</summary>
    public int Id { get; } = id;

    public CommandNeeds Needs { get; } = needs;
}
