namespace Furrow.Storage.Migrations;

/// <summary>Every migration this build knows, in order; the last one's version is the schema this build writes.</summary>
public static class MigrationCatalog
{
    public static IReadOnlyList<Migration> All { get; } = [new M0001_InitialSchema(), new M0002_BladeProfile(), new M0003_JobArchiveFlag(), new M0004_SchedulingTerms(),
        new M0005_TaskProgress(), new M0006_InvocationUsage(), new M0007_JobDirMaps(),
        new M0008_InvocationArgv(), new M0009_JobScripts(), new M0010_TaskRowsWithoutKeyChecks(), new M0011_JobTaskCounts(),
        new M0012_JobLocks(), new M0013_LoginSessions(),
        new M0014_BladeKeys(), new M0015_JobCrewsAndEditPolicy(), new M0016_CommandIdsAndTaskParents(),
        new M0017_CommandSameHost(), new M0018_JobCleanupWithoutInstances()];

    public static int LatestVersion => All[^1].Version;
}
