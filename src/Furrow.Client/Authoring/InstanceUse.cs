namespace Furrow.Client.Authoring;

/// <summary>An Instance made from a task: under which parent (tid, 0 for the job), as that parent's how-manyth Instance, and what it names.</summary>
internal sealed record InstanceUse(int ParentTid, int Ordinal, JobTask Target, string Name, string Where);
