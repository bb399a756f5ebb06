using Furrow.Core.Jobs;
using Furrow.Storage;

namespace Furrow.Engine.Dispatch;

/// <summary>An unfinished job as the scheduler holds it in memory. Guarded by <see cref="FarmState.Gate"/>.</summary>
internal sealed class LiveJobState
{
    public LiveJobState(JobRecord record, JobGraph graph, LiveTask[] tasks)
    {
        Record = record;
        Graph = graph;
        Tasks = tasks;
        Paused = record.Paused;
    }

    public JobRecord Record { get; }
    public long Jid => Record.Jid;
    public JobGraph Graph { get; }

    /// <summary>Indexed by tid; slot 0 is unused.</summary>
    public LiveTask[] Tasks { get; }

    public bool Paused { get; set; }
    public bool Started { get; set; }

    public bool IsDone(int tid) => Tasks[tid].State == TaskState.Done;

    /// <summary>How many tasks are done; the job is over when this reaches the task count.</summary>
    public int DoneCount { get; set; }

    public bool AllDone => DoneCount == Tasks.Length - 1;
}

/// <summary>A task's runtime state: which of its commands runs next and which invocation runs it now.</summary>
internal sealed class LiveTask(int tid, string title, IReadOnlyList<LiveCommand> commands)
{
    public int Tid { get; } = tid;
    public string Title { get; } = title;
    public IReadOnlyList<LiveCommand> Commands { get; } = commands;
    public TaskState State { get; set; } = TaskState.Blocked;
    public int NextCommand { get; set; }
    public long? RunningIid { get; set; }
    public int RetryCount { get; set; }

    /// <summary>True while the task sits in the ready queue waiting for a blade.</summary>
    public bool Queued { get; set; }

    /// <summary>Active or ready with a command still to hand out and none running.</summary>
    public bool WantsBlade => (State is TaskState.Ready or TaskState.Active) && RunningIid is null && NextCommand < Commands.Count;
}

/// <summary>A command as the scheduler needs it to hand it to a blade.</summary>
internal sealed record LiveCommand(int Cid, IReadOnlyList<string> Argv, string Kind, IReadOnlyList<int> RetryRc);

/// <summary>A command handed to a blade and not yet over.</summary>
internal sealed class LiveInvocation(long iid, long jid, int tid, int cid, string blade, long dispatchTimeMs)
{
    public long Iid { get; } = iid;
    public long Jid { get; } = jid;
    public int Tid { get; } = tid;
    public int Cid { get; } = cid;
    public string Blade { get; } = blade;
    public long DispatchTimeMs { get; } = dispatchTimeMs;
    public bool Started { get; set; }

    /// <summary>The log already holds this invocation's header (written before an engine crash lost the start's commit).</summary>
    public bool HeaderWritten { get; set; }

    /// <summary>Where this invocation's output begins in the task log, once started.</summary>
    public long? LogStart { get; set; }

    /// <summary>Output bytes already written to the log; a resent chunk below this is skipped.</summary>
    public long LogBytes { get; set; }
}

/// <summary>A blade as the scheduler tracks it.</summary>
internal sealed class LiveBlade(BladeRecord record)
{
    public BladeRecord Record { get; set; } = record;
    public string Name => Record.Name;
    public long LastContactMs { get; set; } = record.LastContactMs;
    public bool IsLocal { get; set; }

    /// <summary>Invocations the engine asked this blade to stop; sent with each report reply until the blade drops them.</summary>
    public HashSet<long> PendingCancels { get; } = [];

    public HashSet<long> Running { get; } = [];
}
