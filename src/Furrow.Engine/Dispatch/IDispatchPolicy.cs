using Furrow.Storage;

namespace Furrow.Engine.Dispatch;

/// <summary>Decides the order in which waiting tasks get blades. The full scheduler replaces this one piece.</summary>
internal interface IDispatchPolicy
{
    /// <summary>Lower ranks go first; ties go to the earlier spool time, then the lower job and task id.</summary>
    double Rank(JobRecord job, int tid);
}

/// <summary>Tractor's basic order: higher priority first, then first spooled first.</summary>
internal sealed class PriorityThenSpoolTimePolicy : IDispatchPolicy
{
    public double Rank(JobRecord job, int tid) => -job.Priority;
}
