using Furrow.Core.Jobs;
using Furrow.Core.Scheduling;
using Furrow.Core.Scripts;

namespace Furrow.Engine.Farm;

/// <summary>A command as the scheduler needs it to hand it to a blade.</summary>
/// <param name="EnvKeys">The command's `-envkey` names, then its job's: which blade.config `EnvKeys` environments it runs in.</param>
/// <param name="Expand">`-expand 1`: what the command prints is Alfred script whose tasks join the job under its task.</param>
/// <param name="SameHost">`-samehost 1`: it runs on the blade that ran its task's previous command (<see cref="DispatchRules.SameHostBlade"/>).</param>
internal sealed record LiveCommand(int Cid, IReadOnlyList<string> Argv, CommandKind Kind, CommandRunType RunType, IReadOnlyList<int> RetryRc,
    CommandClass Class, IReadOnlyList<string> EnvKeys, bool Expand = false, bool SameHost = false)
{
    /// <summary>The command's own `-tags` (its job's are added when its class is made): kept so a changed key or slot count can make the class again.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>`-id`: the command's name within its job, which other commands' `%ID(host)` codes use; null when none.</summary>
    public string? Id { get; init; }

    /// <summary>The `-id`s its command line's `%ID(host)` and `%ID(-host)` codes name, each once; empty for most commands.</summary>
    public IReadOnlyList<string> HostIds { get; init; } = [];

    /// <summary>
    /// `-refersto`: the `-id` of the command whose blade it runs on (LiveFarm.PinOf), or of a task (kept, not acted
    /// on); null when none.
    /// </summary>
    public string? RefersTo { get; init; }

    /// <summary>The kind's wire name: `remote`, `local` or `builtin`.</summary>
    public string KindName => Kind.ToName();
}
