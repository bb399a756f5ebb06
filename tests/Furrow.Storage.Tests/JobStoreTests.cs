using Furrow.Core.Jobs;
using Furrow.Core.Scripts;

namespace Furrow.Storage.Tests;

/// <summary>The store contract: every provider passes these same tests.</summary>
public abstract class JobStoreContractTests
{
    /// <summary>A new empty database of the provider under test.</summary>
    protected abstract Task<ITestStore> NewStoreAsync();

    private static readonly CancellationToken None = CancellationToken.None;

    // The store hands jobs over one by one; the tests look at them all at once.
    private static async Task<Loaded> LoadLiveAsync(IJobStore store)
    {
        var jobs = new List<UnfinishedJob>();
        var state = await store.LoadLiveStateAsync(jobs.Add, None);
        return new Loaded(state, jobs);
    }

    private sealed record Loaded(LiveState State, List<UnfinishedJob> Jobs)
    {
        public long JobCounter => State.JobCounter;
        public long MaxIid => State.MaxIid;
        public IReadOnlyList<InvocationRecord> CurrentInvocations => State.CurrentInvocations;
        public IReadOnlyList<BladeRecord> Blades => State.Blades;
        public IReadOnlyList<BlocklistEntry> Blocklist => State.Blocklist;
    }

    [Fact]
    public async Task InsertJob_StoresTheJobEveryTaskAndEveryCommand_AndMovesTheJobCounter()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        var insert = TestJobs.Insert(42, TestJobs.Shot, owner: "ben");

        await store.CommitAsync(insert);

        var job = Assert.Single(await store.ListJobsAsync(includeDeleted: false, None));
        TestJobs.AssertSameJob(insert.Job with { Counts = job.Counts }, job);
        Assert.Equal((42L, "ben", "comp shot 10", 5.0, "nightly"), (job.Jid, job.Owner, job.Title, job.Priority, job.Comment));
        Assert.Equal(new TaskCounts(Total: 5, Blocked: 5, Ready: 0, Active: 0, Error: 0, Done: 0), job.Counts);
        Assert.Equal("42", await store.GetParamAsync("jidcounter", None));

        var tasks = await store.ListTasksAsync(42, None);
        Assert.Equal(
            [
                (1, 0, "render all", null, null, true, ""),
                (2, 1, "frame 1", "f1", "pixarRender", false, ""),
                (3, 1, "frame 2", null, null, false, ""),
                (4, 0, "composite", null, null, false, "2,3"),
                (5, 0, JobCompiler.JobCleanupTitle, null, null, false, ""),
            ],
            tasks.Select(t => (t.Tid, t.ParentTid, t.Title, t.Id, t.Service, t.SerialSubtasks, string.Join(',', t.InstanceOf))));
        Assert.All(tasks, t => Assert.Equal((42L, TaskState.Blocked, TestJobs.SpoolTimeMs + 42, 0), (t.Jid, t.State, t.StateTimeMs, t.RetryCount)));

        var commands = await store.ListCommandsAsync(42, None);
        var expected = insert.Compiled.Commands.OrderBy(c => c.Cid).Select(c => (c.Cid, c.Tid, string.Join('|', c.Argv))).ToList();
        Assert.Equal(expected, commands.Select(c => (c.Cid, c.Tid, string.Join('|', c.Argv))));
        Assert.Equal(8, commands.Count);
        Assert.All(commands, c => Assert.Equal((42L, CommandState.Blocked), (c.Jid, c.State)));
        var byLine = commands.ToDictionary(c => string.Join(' ', c.Argv));
        Assert.Equal(["prman", "-t:2", "/shots/10/f1.rib"], byLine["prman -t:2 /shots/10/f1.rib"].Argv);
        Assert.Equal(["sh", "-c", "echo done 1"], byLine["sh -c echo done 1"].Argv);
        Assert.Equal((2, "remote", "regular", "pixarRender", false, "3,4"),
            Shape(byLine["prman -t:2 /shots/10/f1.rib"]));
        Assert.Equal((3, "remote", "regular", null, true, ""), Shape(byLine["prman /shots/10/f2.rib"]));
        Assert.Equal((3, "local", "cleanup", null, false, ""), Shape(byLine["rm -f /tmp/f2.tmp"]));
        Assert.Equal((1, "local", "regular", null, false, ""), Shape(byLine["touch /shots/10/rendered"]));
        Assert.Equal((4, "remote", "regular", null, false, ""), Shape(byLine["nuke -x comp.nk"]));
        Assert.Equal((5, "local", "cleanup", null, false, ""), Shape(byLine["rm -rf /tmp/shot10"]));
        Assert.Equal((5, "local", "post_done", null, false, ""), Shape(byLine["mail -s done"]));
    }

    [Fact]
    public async Task InsertJob_WritesTheTasksItNamesReady_AndTheRestBlocked_InBothListingsAndLiveState()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        var insert = TestJobs.Insert(7, TestJobs.Shot) with { ReadyTids = new HashSet<int> { 2, 3 } };

        await store.CommitAsync(insert);

        var tasks = await store.ListTasksAsync(7, None);
        Assert.Equal(
            [(1, TaskState.Blocked), (2, TaskState.Ready), (3, TaskState.Ready), (4, TaskState.Blocked), (5, TaskState.Blocked)],
            tasks.Select(t => (t.Tid, t.State)));
        Assert.All(tasks, t => Assert.Equal(TestJobs.SpoolTimeMs + 7, t.StateTimeMs));
        Assert.Equal(new TaskCounts(Total: 5, Blocked: 3, Ready: 2, Active: 0, Error: 0, Done: 0),
            Assert.Single(await store.ListJobsAsync(includeDeleted: false, None)).Counts);
        var live = Assert.Single((await LoadLiveAsync(store)).Jobs);
        Assert.Equal([TaskState.Blocked, TaskState.Ready, TaskState.Ready, TaskState.Blocked, TaskState.Blocked], live.Tasks.Select(t => t.State));
        Assert.All(await store.ListCommandsAsync(7, None), c => Assert.Equal(CommandState.Blocked, c.State));
    }

    [Fact]
    public async Task SummarizeJobs_SumsTheJobRowsCounts_WithinAScope_AndDispatchTimes_AreThoseInTheWindow()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        await store.CommitAsync(TestJobs.Insert(1, TestJobs.Shot, owner: "ben"), TestJobs.Insert(2, owner: "ana"), TestJobs.Insert(3, owner: "ana"));
        await store.CommitAsync(new SetTaskState(2, 1, TaskState.Done, 5), new SetJobPaused(3, true), new SetJobDeleted(1, 10));
        for (var iid = 1; iid <= 4; iid++)
            await store.CommitAsync(new InsertInvocation(iid, 3, 1, 1, "rack1", iid * 1000L));

        Assert.Equal(new JobSummary(2, 0, 1, 0, 1, 1, new TaskStateTotals(2, 1, 0, 0, 0, 1)), await store.SummarizeJobsAsync(null, None));
        Assert.Equal(new JobSummary(2, 0, 1, 0, 1, 0, new TaskStateTotals(2, 1, 0, 0, 0, 1)),
            await store.SummarizeJobsAsync(new Furrow.Core.Access.JobScope("ana", []), None));
        Assert.Equal(new JobSummary(0, 0, 0, 0, 0, 1, new TaskStateTotals(0, 0, 0, 0, 0, 0)),
            await store.SummarizeJobsAsync(new Furrow.Core.Access.JobScope("ben", ["nobody"]), None));

        Assert.Equal([2000L, 3000L], (await store.DispatchTimesAsync(2000, 4000, None)).Order());
    }

    private static (int Tid, string Kind, string RunType, string? Service, bool Expand, string RetryRc) Shape(CommandRecord c) =>
        (c.Tid, c.Kind, c.RunType, c.Service, c.Expand, string.Join(',', c.RetryRc));

    [Fact]
    public async Task ListTasksAsync_FiltersByJob_AndListsEveryJobWithoutOne()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        await store.CommitAsync(TestJobs.Insert(1, TestJobs.Shot), TestJobs.Insert(2));

        Assert.Equal([1L, 1, 1, 1, 1, 2], (await store.ListTasksAsync(null, None)).Select(t => t.Jid));
        Assert.Equal([(2L, 1)], (await store.ListTasksAsync(2, None)).Select(t => (t.Jid, t.Tid)));
        Assert.Equal([(2L, 1, 1)], (await store.ListCommandsAsync(2, None)).Select(c => (c.Jid, c.Cid, c.Tid)));
        Assert.Equal(9, (await store.ListCommandsAsync(null, None)).Count);
        Assert.Empty(await store.ListTasksAsync(3, None));
    }

    [Fact]
    public async Task ListJobsAsync_CountsTasksByState_AfterStateChanges()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        await store.CommitAsync(TestJobs.Insert(1, TestJobs.Shot));

        await store.CommitAsync(
            new SetTaskState(1, 2, TaskState.Done, 10),
            new SetTaskState(1, 3, TaskState.Error, 11, RetryCount: 3),
            new SetTaskState(1, 1, TaskState.Active, 12),
            new SetTaskState(1, 4, TaskState.Ready, 13),
            new SetCommandState(1, 1, CommandState.Done));

        var job = Assert.Single(await store.ListJobsAsync(includeDeleted: false, None));
        Assert.Equal(new TaskCounts(Total: 5, Blocked: 1, Ready: 1, Active: 1, Error: 1, Done: 1), job.Counts);
        var tasks = await store.ListTasksAsync(1, None);
        Assert.Equal(
            [(TaskState.Active, 12L, 0), (TaskState.Done, 10, 0), (TaskState.Error, 11, 3), (TaskState.Ready, 13, 0), (TaskState.Blocked, TestJobs.SpoolTimeMs + 1, 0)],
            tasks.Select(t => (t.State, t.StateTimeMs, t.RetryCount)));
        Assert.Equal(CommandState.Done, (await store.ListCommandsAsync(1, None)).Single(c => c.Cid == 1).State);
    }

    [Fact]
    public async Task RunsOfStateChanges_LandLikeOneByOne_InTheirOrder_PastSqlitesParameterCap()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        // More tasks than one SQLite statement may have parameters (32,766), each with one command.
        const int count = 40_000;
        var script = new System.Text.StringBuilder("Job -title {big} -subtasks {\n");
        for (var i = 1; i <= count; i++)
            script.Append("Task {t").Append(i).Append("} -cmds { RemoteCmd {true} }\n");
        await store.CommitAsync(TestJobs.Insert(1, script.Append('}').ToString()), TestJobs.Insert(2, TestJobs.Shot));

        var writes = new List<StoreWrite>();
        writes.AddRange(Enumerable.Range(1, count).Select(tid => new SetTaskState(1, tid, TaskState.Ready, 10)));
        writes.Add(new SetTaskState(1, 7, TaskState.Active, 11));   // after the run: wins for task 7
        writes.Add(new SetTaskState(2, 1, TaskState.Ready, 10));    // another job, same state and time
        writes.Add(new SetTaskState(2, 2, TaskState.Ready, 10));
        writes.Add(new SetTaskState(2, 3, TaskState.Error, 10, RetryCount: 2));
        writes.Add(new SetTaskState(2, 4, TaskState.Ready, 10));
        writes.Add(new SetTaskState(2, 1, TaskState.Done, 12));
        await store.CommitAsync(writes, None);

        var big = await store.ListTasksAsync(1, None);
        Assert.Equal(count, big.Count);
        Assert.Equal(count - 1, big.Count(t => (t.State, t.StateTimeMs) == (TaskState.Ready, 10)));
        Assert.Equal((TaskState.Active, 11L), (big[6].State, big[6].StateTimeMs));
        Assert.Equal(
            [(TaskState.Done, 12L, 0), (TaskState.Ready, 10, 0), (TaskState.Error, 10, 2), (TaskState.Ready, 10, 0), (TaskState.Blocked, TestJobs.SpoolTimeMs + 2, 0)],
            (await store.ListTasksAsync(2, None)).Select(t => (t.State, t.StateTimeMs, t.RetryCount)));
        Assert.Equal(count, (await store.ListCommandsAsync(1, None)).Count);
    }

    [Fact]
    public async Task ListJobsAsync_HidesDeletedJobs_UnlessAskedForThem()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        await store.CommitAsync(TestJobs.Insert(1), TestJobs.Insert(2), TestJobs.Insert(3));

        await store.CommitAsync(new SetJobDeleted(2, 99));

        Assert.Equal([1L, 3], (await store.ListJobsAsync(includeDeleted: false, None)).Select(j => j.Jid));
        var all = await store.ListJobsAsync(includeDeleted: true, None);
        Assert.Equal([(1L, false), (2, true), (3, false)], all.Select(j => (j.Jid, j.Deleted)));
    }

    [Fact]
    public async Task LoadLiveStateAsync_ReturnsUnfinishedUndeletedJobs_CurrentInvocations_BladesAndCounters()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        await store.CommitAsync(
            TestJobs.Insert(1, TestJobs.Shot),
            TestJobs.Insert(2),
            TestJobs.Insert(3),
            TestJobs.Insert(4, "Job -title {serial} -serialsubtasks 1 -subtasks { Task {a} -cmds { RemoteCmd {a} }; Task {b} -cmds { RemoteCmd {b} } }"));
        var bladeA = new BladeRecord("blade-a", "rack1", 4, "0.1.0", "boot-1", 100, 200, "up");
        await store.CommitAsync(
            new UpsertBlade(bladeA),
            new UpsertBlade(new BladeRecord("blade-b", "rack2", 2, "0.1.0", "boot-2", 110, 210, "up")));

        // Job 1 runs: one finished invocation, one still running.
        await store.CommitAsync(
            new SetJobTimes(1, 1000, null),
            new SetTaskState(1, 2, TaskState.Done, 1500),
            new SetTaskState(1, 3, TaskState.Active, 1600, RetryCount: 1),
            new InsertInvocation(1, 1, 2, 1, "blade-a", 1001),
            new MarkInvocationStarted(1, 500, 1002, 0),
            new FinishInvocation(1, 1400, 0, InvocationState.Done),
            new InsertInvocation(2, 1, 3, 3, "blade-b", 1550),
            new MarkInvocationStarted(2, 4242, 1560, 128));
        // Job 2 finished; its last invocation has the highest iid.
        await store.CommitAsync(
            new SetJobTimes(2, 2000, null),
            new InsertInvocation(9, 2, 1, 1, "blade-a", 2001),
            new FinishInvocation(9, 2100, 0, InvocationState.Done),
            new SetJobTimes(2, null, 2200));
        // Job 3 was deleted while its invocation was still out on a blade.
        await store.CommitAsync(
            new InsertInvocation(4, 3, 1, 1, "blade-b", 3001),
            new SetJobDeleted(3, 3100));
        await store.CommitAsync(
            new SetJobPaused(4, true),
            new UpsertBlade(bladeA with { Slots = 8, BootId = "boot-3", LastContactMs = 5000, Status = "draining" }));

        var live = await LoadLiveAsync(store);

        Assert.Equal(4, live.JobCounter);
        Assert.Equal(9, live.MaxIid);
        Assert.Equal([1L, 4], live.Jobs.Select(j => j.Job.Jid));

        var job1 = live.Jobs[0];
        Assert.False(job1.RootSerial);
        Assert.Equal((1000L, (long?)null, false), (job1.Job.StartTimeMs!.Value, job1.Job.StopTimeMs, job1.Job.Paused));
        Assert.Equal([1, 2, 3, 4, 5], job1.Tasks.Select(t => t.Tid));
        Assert.All(job1.Tasks, t => Assert.Equal(1L, t.Jid));
        Assert.Equal([TaskState.Blocked, TaskState.Done, TaskState.Active, TaskState.Blocked, TaskState.Blocked], job1.Tasks.Select(t => t.State));
        Assert.Equal(1, job1.Tasks[2].RetryCount);
        Assert.Equal([2, 3], job1.Tasks[3].InstanceOf);
        Assert.Equal(Enumerable.Range(1, 8), job1.Commands.Select(c => c.Cid));
        Assert.All(job1.Commands, c => Assert.Equal(1L, c.Jid));

        var job4 = live.Jobs[1];
        Assert.True(job4.RootSerial);
        Assert.True(job4.Job.Paused);
        Assert.Equal(["a", "b"], job4.Tasks.Select(t => t.Title));
        Assert.Equal([["a"], ["b"]], job4.Commands.Select(c => c.Argv));

        Assert.Equal(
            [
                new InvocationRecord(2, 1, 3, 3, "blade-b", 1550, 1560, null, 4242, null, true, InvocationState.Running, 128),
                new InvocationRecord(4, 3, 1, 1, "blade-b", 3001, null, null, null, null, true, InvocationState.Dispatched, null),
            ],
            live.CurrentInvocations);

        Assert.Equal(
            [
                new BladeRecord("blade-a", "rack1", 8, "0.1.0", "boot-3", 100, 5000, "draining"),
                new BladeRecord("blade-b", "rack2", 2, "0.1.0", "boot-2", 110, 210, "up"),
            ],
            live.Blades);
    }

    [Fact]
    public async Task LoadLiveStateAsync_GivesACurrentInvocationTheArgvItWasHandedOutWith_AndNullWhenItWasTheCommandsOwn()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        await store.CommitAsync(TestJobs.Insert(1));
        await store.CommitAsync(
            new InsertInvocation(1, 1, 1, 1, "blade-a", 1000, ["render", "/net/projects/a b.rib", "-q"]),
            new InsertInvocation(2, 1, 1, 1, "blade-b", 1001));

        var live = await LoadLiveAsync(store);

        Assert.Equal([(1L, (IReadOnlyList<string>?)["render", "/net/projects/a b.rib", "-q"]), (2L, null)],
            live.CurrentInvocations.Select(i => (i.Iid, i.Argv)).ToList(), new ArgvComparer());
    }

    private sealed class ArgvComparer : IEqualityComparer<(long Iid, IReadOnlyList<string>? Argv)>
    {
        public bool Equals((long Iid, IReadOnlyList<string>? Argv) x, (long Iid, IReadOnlyList<string>? Argv) y) =>
            x.Iid == y.Iid && (x.Argv is null ? y.Argv is null : y.Argv is not null && x.Argv.SequenceEqual(y.Argv));

        public int GetHashCode((long Iid, IReadOnlyList<string>? Argv) obj) => obj.Iid.GetHashCode();
    }

    [Fact]
    public async Task LoadLiveStateAsync_OnAnEmptyDatabase_ReturnsZeroCountersAndNothingElse()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();

        var live = await LoadLiveAsync(store);

        Assert.Equal((0L, 0L), (live.JobCounter, live.MaxIid));
        Assert.Empty(live.Jobs);
        Assert.Empty(live.CurrentInvocations);
        Assert.Empty(live.Blades);
    }

    [Fact]
    public async Task ListInvocationsAsync_KeepsFinishedRuns_WithExitCodeAndStatus()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        await store.CommitAsync(TestJobs.Insert(1), TestJobs.Insert(2));
        await store.CommitAsync(
            new InsertInvocation(1, 1, 1, 1, "blade-a", 10),
            new MarkInvocationStarted(1, 77, 11, 0),
            new FinishInvocation(1, 12, 3, InvocationState.Error),
            new InsertInvocation(2, 2, 1, 1, "blade-a", 20),
            new FinishInvocation(2, 21, null, InvocationState.BladeSilent));

        Assert.Equal(
            [new InvocationRecord(1, 1, 1, 1, "blade-a", 10, 11, 12, 77, 3, false, InvocationState.Error, 0)],
            await store.ListInvocationsAsync(1, None));
        Assert.Equal(
            [(1L, InvocationState.Error), (2L, InvocationState.BladeSilent)],
            (await store.ListInvocationsAsync(null, None)).Select(i => (i.Iid, i.Status)));
        // The database keeps the lower-case names it always had.
        await using var connection = await temp.OpenRawConnectionAsync();
        Assert.Equal(["error", "blade silent"], await RawStringsAsync(connection, "SELECT status FROM invocations ORDER BY iid"));
    }

    [Fact]
    public async Task InsertJob_KeepsTheJobCounterAtTheHighestJid_WhenJobsCommitOutOfOrder()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();

        await store.CommitAsync(TestJobs.Insert(6));
        await store.CommitAsync(TestJobs.Insert(5));

        Assert.Equal("6", await store.GetParamAsync("jidcounter", None));
        Assert.Equal(6, (await LoadLiveAsync(store)).JobCounter);
    }

    [Fact]
    public async Task SetParam_StoresANewParam_AndReplacesAnExistingOne()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();

        await store.CommitAsync(new SetParam("site", "a"));
        await store.CommitAsync(new SetParam("site", "b"), new SetParam("jidcounter", "17"));

        Assert.Equal("b", await store.GetParamAsync("site", None));
        Assert.Equal("17", await store.GetParamAsync("jidcounter", None));
        Assert.Null(await store.GetParamAsync("missing", None));
    }

    [Fact]
    public async Task InsertJob_KeepsTheScriptAsSpooled_InItsOwnForm_OutsideTheJobsRow()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        const string json = "{ \"title\": \"çà ☃\", \"subtasks\": [] }\r\n";
        await store.CommitAsync(TestJobs.Insert(1, TestJobs.Shot),
            TestJobs.Insert(5_000_000_000) with { Script = new JobScript(JobScript.Json, json) });

        Assert.Equal(new JobScript(JobScript.Alfred, TestJobs.Shot), await store.GetJobScriptAsync(1, None));
        Assert.Equal(new JobScript(JobScript.Json, json), await store.GetJobScriptAsync(5_000_000_000, None));
        Assert.Null(await store.GetJobScriptAsync(2, None));
        // The old inline column stays empty, so listing jobs never steps through a large script.
        await using var connection = await temp.OpenRawConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM jobs WHERE spec = ''";
        Assert.Equal(2L, Convert.ToInt64(await command.ExecuteScalarAsync()));
    }

    /// <summary>A job with every scheduling term set, including text that needs quoting in JSON and a jid beyond 32 bits.</summary>
    private static InsertJob WithSchedulingTerms(InsertJob insert) => insert with
    {
        Job = insert.Job with
        {
            AfterTimeMs = 1_700_000_900_000,
            MaxActive = 3,
            AfterJids = [1, 5_000_000_000],
            Tier = "rush",
            Projects = ["shot \"10\"", "lighting, comp", "çà"],
            Service = "pixarRender && !slow",
            Tags = ["prman", "nuke"],
        },
    };

    [Fact]
    public async Task InsertJob_StoresTheSchedulingTerms_ThatReadBackThroughListJobsAndLiveState_WithTheSpecJson()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        var full = WithSchedulingTerms(TestJobs.Insert(1, TestJobs.Shot));
        var plain = TestJobs.Insert(2);
        await store.CommitAsync(full, plain);

        var jobs = await store.ListJobsAsync(includeDeleted: false, None);

        Assert.Equal([1L, 2], jobs.Select(j => j.Jid));
        TestJobs.AssertSameJob(full.Job with { Counts = jobs[0].Counts }, jobs[0]);
        TestJobs.AssertSameJob(plain.Job with { Counts = jobs[1].Counts }, jobs[1]);
        Assert.Equal(new TaskCounts(Total: 5, Blocked: 5, Ready: 0, Active: 0, Error: 0, Done: 0), jobs[0].Counts);
        Assert.Equal(((long?)null, (int?)null, (string?)null, (string?)null), (jobs[1].AfterTimeMs, jobs[1].MaxActive, jobs[1].Tier, jobs[1].Service));
        Assert.Empty(jobs[1].AfterJids);
        Assert.Empty(jobs[1].Projects);
        Assert.Empty(jobs[1].Tags);

        var live = await LoadLiveAsync(store);

        Assert.Equal([1L, 2], live.Jobs.Select(j => j.Job.Jid));
        TestJobs.AssertSameJob(full.Job, live.Jobs[0].Job);
        TestJobs.AssertSameJob(plain.Job, live.Jobs[1].Job);
    }

    [Fact]
    public async Task SetAttribute_ChangesEachAttributeTqCanSet_AndTheRowsReadBackWithIt()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        await store.CommitAsync(TestJobs.Insert(7, TestJobs.Shot), TestJobs.Insert(8));
        AttributeEdit Edit(Core.Query.QueryTable table, string key, string value) =>
            AttributeEdit.Parse(table, key, value, out var error) ?? throw new InvalidOperationException(error);
        var jobs = Core.Query.QueryTable.Jobs;
        var commands = Core.Query.QueryTable.Commands;

        await store.CommitAsync([
            SetAttribute.OnJob(7, Edit(jobs, "title", "it's {renamed}; DROP TABLE jobs")), SetAttribute.OnJob(7, Edit(jobs, "comment", "")),
            SetAttribute.OnJob(7, Edit(jobs, "pri", "12.5")), SetAttribute.OnJob(7, Edit(jobs, "paused", "1")),
            SetAttribute.OnJob(7, Edit(jobs, "aftertime", "2000000000")), SetAttribute.OnJob(7, Edit(jobs, "maxactive", "3")),
            SetAttribute.OnJob(7, Edit(jobs, "afterjids", "8")), SetAttribute.OnJob(7, Edit(jobs, "projects", "fx, lighting")),
            SetAttribute.OnJob(7, Edit(jobs, "tier", "rush")),
            new SetAttribute(7, 2, 0, Edit(Core.Query.QueryTable.Tasks, "title", "frame one")),
            new SetAttribute(7, 2, 2, Edit(commands, "service", "linux && !gpu")), new SetAttribute(7, 2, 2, Edit(commands, "tags", "nuke,katana")),
            new SetAttribute(7, 2, 2, Edit(commands, "envkey", "maya2024")), new SetAttribute(7, 2, 2, Edit(commands, "retryrc", "-1,3")),
            new SetAttribute(7, 2, 2, Edit(commands, "atleast", "2")), new SetAttribute(7, 2, 2, Edit(commands, "maxslots", "4")),
        ]);

        var job = (await store.ListJobsAsync(includeDeleted: false, None)).Single(j => j.Jid == 7);
        Assert.Equal(("it's {renamed}; DROP TABLE jobs", "", 12.5, true, 2000000000000L, 3, "rush"),
            (job.Title, job.Comment, job.Priority, job.Paused, job.AfterTimeMs, job.MaxActive, job.Tier));
        Assert.Equal([8L], job.AfterJids);
        Assert.Equal(["fx", "lighting"], job.Projects);
        Assert.Equal("frame one", (await store.ListTasksAsync(7, None)).Single(t => t.Tid == 2).Title);
        var command = (await store.ListCommandsAsync(7, None)).Single(c => c.Cid == 2);
        Assert.Equal(("linux && !gpu", 2, 4), (command.Service, command.AtLeast, command.AtMost));
        Assert.Equal(["nuke", "katana"], command.Tags);
        Assert.Equal(["maya2024"], command.EnvKey);
        Assert.Equal([-1, 3], command.RetryRc);
        Assert.NotEqual(job.Title, (await store.ListJobsAsync(includeDeleted: false, None)).Single(j => j.Jid == 8).Title);

        // No cap and no start time are NULL again, not 0.
        await store.CommitAsync([SetAttribute.OnJob(7, Edit(jobs, "maxactive", "0")), SetAttribute.OnJob(7, Edit(jobs, "aftertime", "0"))]);
        job = (await store.ListJobsAsync(includeDeleted: false, None)).Single(j => j.Jid == 7);
        Assert.Equal(((int?)null, (long?)null), (job.MaxActive, job.AfterTimeMs));
    }

    [Fact]
    public async Task SetBlocklist_UpsertsFailures_ClearBlocklistRemovesOneBladeOrAll_AndLiveStateShowsUnfinishedJobsOnly()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        await store.CommitAsync(TestJobs.Insert(1), TestJobs.Insert(2), TestJobs.Insert(3), TestJobs.Insert(4));
        await store.CommitAsync(new SetJobTimes(3, 10, 20), new SetJobDeleted(4, 30));

        await store.CommitAsync(
            new SetBlocklist(1, "blade-b", 1),
            new SetBlocklist(1, "blade-a", 2),
            new SetBlocklist(1, "blade-c", 3),
            new SetBlocklist(2, "blade-a", 1),
            new SetBlocklist(3, "blade-a", 5),
            new SetBlocklist(4, "blade-a", 6));
        await store.CommitAsync(new SetBlocklist(1, "blade-b", 3));

        Assert.Equal(
            [new(1, "blade-a", 2), new(1, "blade-b", 3), new(1, "blade-c", 3), new BlocklistEntry(2, "blade-a", 1)],
            (await LoadLiveAsync(store)).Blocklist);

        await store.CommitAsync(new ClearBlocklist(1, "blade-b"), new ClearBlocklist(1, "blade-unknown"));

        Assert.Equal(
            [new(1, "blade-a", 2), new(1, "blade-c", 3), new BlocklistEntry(2, "blade-a", 1)],
            (await LoadLiveAsync(store)).Blocklist);

        await store.CommitAsync(new ClearBlocklist(1, null));

        Assert.Equal([new BlocklistEntry(2, "blade-a", 1)], (await LoadLiveAsync(store)).Blocklist);
        // Clearing job 1 left every other job's rows, the finished and deleted ones' included.
        await using var connection = await temp.OpenRawConnectionAsync();
        Assert.Equal(
            ["2 blade-a 1", "3 blade-a 5", "4 blade-a 6"],
            await RawStringsAsync(connection, "SELECT CAST(jid AS TEXT) || ' ' || blade || ' ' || CAST(failures AS TEXT) FROM blocklist ORDER BY jid, blade"));
    }

    [Fact]
    public async Task LoadUnfinishedJobAsync_ReadsOneJobAsTheWholeLoadDoes_WithItsBlocklist_AndNothingFinishedDeletedOrMissing()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        await store.CommitAsync(TestJobs.Insert(1, TestJobs.Shot), TestJobs.Insert(2), TestJobs.Insert(3));
        await store.CommitAsync(
            new SetTaskState(1, 2, TaskState.Done, 1500), new SetJobPaused(1, true),
            new SetBlocklist(1, "blade-b", 3), new SetBlocklist(1, "blade-a", 1), new SetBlocklist(2, "blade-a", 2),
            new SetJobTimes(2, 10, 20), new SetJobDeleted(3, 30));

        var one = await store.LoadUnfinishedJobAsync(1, None);

        Assert.NotNull(one);
        var loaded = Assert.Single((await LoadLiveAsync(store)).Jobs);
        Assert.Equivalent(loaded.Job, one.Job, strict: true);
        Assert.Equal(loaded.RootSerial, one.RootSerial);
        Assert.Equivalent(loaded.Tasks, one.Tasks, strict: true);
        Assert.Equivalent(loaded.Commands, one.Commands, strict: true);
        Assert.Equal([new(1, "blade-a", 1), new BlocklistEntry(1, "blade-b", 3)], one.Blocklist);
        Assert.Empty(loaded.Blocklist);
        // A finished job, a deleted one and one that never was: nothing to bring back.
        Assert.Null(await store.LoadUnfinishedJobAsync(2, None));
        Assert.Null(await store.LoadUnfinishedJobAsync(3, None));
        Assert.Null(await store.LoadUnfinishedJobAsync(99, None));
        // Reopened (no stop time), the finished job reads back with its own blocklist.
        await store.CommitAsync(new SetJobTimes(2, null, null));
        var reopened = await store.LoadUnfinishedJobAsync(2, None);
        Assert.Equal(2, reopened?.Job.Jid);
        Assert.Equal([new BlocklistEntry(2, "blade-a", 2)], reopened!.Blocklist);
    }

    [Fact]
    public async Task UpsertBlade_StoresProfileAndNimby_AndSetBladeNimbyChangesOnlyTheNamedBlade()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        var bladeA = new BladeRecord("blade-a", "rack1", 4, "0.1.0", "boot-1", 100, 200, "up") { Profile = "gpu", Nimby = true };
        var bladeB = new BladeRecord("blade-b", "rack2", 2, "0.1.0", "boot-2", 110, 210, "up");
        await store.CommitAsync(new UpsertBlade(bladeA), new UpsertBlade(bladeB));

        Assert.Equal([bladeA, bladeB], await store.ListBladesAsync(None));
        Assert.Equal(((string?)null, false), (bladeB.Profile, bladeB.Nimby));

        await store.CommitAsync(new SetBladeNimby("blade-a", false), new SetBladeNimby("blade-b", true), new SetBladeNimby("blade-unknown", true));

        Assert.Equal([bladeA with { Nimby = false }, bladeB with { Nimby = true }], await store.ListBladesAsync(None));

        // Registering again replaces the profile (also with none) and the nimby switch with what it is given.
        await store.CommitAsync(
            new UpsertBlade(bladeA with { Profile = null, Nimby = true, BootId = "boot-3" }),
            new UpsertBlade(bladeB with { Profile = "cpu", Nimby = false }));

        var expected = new[] { bladeA with { Profile = null, Nimby = true, BootId = "boot-3" }, bladeB with { Profile = "cpu", Nimby = false } };
        Assert.Equal(expected, await store.ListBladesAsync(None));
        Assert.Equal(expected, (await LoadLiveAsync(store)).Blades);
    }

    [Fact]
    public async Task InsertTasks_AddsExpandedTasksAndCommands_WithWhatTheyAskOfABlade_InOneTransaction()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        await store.CommitAsync(TestJobs.Insert(1), TestJobs.Insert(2));
        const string first = "Task {e1} -cmds { RemoteCmd -tags {lic} -atleast 2 {echo one} }\nTask {e2} -cmds { RemoteCmd {echo two} }";
        var added = Expand(first, parentTid: 1, firstTid: 2, firstCid: 2);
        await store.CommitAsync(new InsertTasks(1, added, 77));

        var tasks = await store.ListTasksAsync(1, None);
        Assert.Equal([(1, 0, "only"), (2, 1, "e1"), (3, 1, "e2")], tasks.Select(t => (t.Tid, t.ParentTid, t.Title)));
        Assert.All(tasks.Skip(1), t => Assert.Equal(TaskState.Blocked, t.State));
        var commands = await store.ListCommandsAsync(1, None);
        Assert.Equal([1, 2, 3], commands.Select(c => c.Cid));
        Assert.Equal(["lic"], commands[1].Tags);
        Assert.Equal((2, (int?)null), (commands[1].AtLeast, commands[1].AtMost));
        Assert.Equal(["maya"], commands[1].EnvKey);
        var live = (await LoadLiveAsync(store)).Jobs.Single(j => j.Job.Jid == 1);
        Assert.Equal(3, live.Tasks.Count);
        Assert.Equal(commands.Select(c => (c.Cid, c.AtLeast)), live.Commands.Select(c => (c.Cid, c.AtLeast)));

        // Tasks whose ids are taken are refused whole: nothing half-added.
        await Assert.ThrowsAnyAsync<Exception>(() => store.CommitAsync(new InsertTasks(1, [.. Expand("Task {x} -cmds { RemoteCmd {true} }", 1, 4, 4), .. added], 79)));
        Assert.Equal(3, (await store.ListTasksAsync(1, None)).Count);
    }

    private static IReadOnlyList<CompiledTask> Expand(string script, int parentTid, int firstTid, int firstCid)
    {
        var parsed = AlfredParser.ParseExpansion(script, "expand", ScriptLimits.Default);
        Assert.True(parsed.Succeeded, parsed.Error?.ToString());
        var compiled = JobCompiler.CompileExpansion(parsed.Job, parentTid, firstTid, firstCid, null, null, ["maya"]);
        Assert.True(compiled.Job is not null, compiled.Error);
        return compiled.Job.Tasks;
    }


    [Fact]
    public async Task JobExistsAsync_IsTrueForAnyStoredJob_DeletedAndFinishedOnesToo_AndFalseOtherwise()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();

        Assert.False(await store.JobExistsAsync(1, None));

        await store.CommitAsync(TestJobs.Insert(1), TestJobs.Insert(2), TestJobs.Insert(3), TestJobs.Insert(5_000_000_000));
        await store.CommitAsync(new SetJobDeleted(2, 50), new SetJobTimes(3, 10, 20));

        Assert.True(await store.JobExistsAsync(1, None));
        Assert.True(await store.JobExistsAsync(2, None));
        Assert.True(await store.JobExistsAsync(3, None));
        Assert.True(await store.JobExistsAsync(5_000_000_000, None));
        Assert.False(await store.JobExistsAsync(4, None));
        Assert.False(await store.JobExistsAsync(0, None));
        Assert.False(await store.JobExistsAsync(-1, None));
    }

    /// <summary>The first column of every row <paramref name="sql"/> selects, as text.</summary>
    internal static async Task<List<string>> RawStringsAsync(System.Data.Common.DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
            values.Add(reader.GetString(0));
        return values;
    }

    private const string ConcurrentThreeTasks =
        "Job -title {three} -subtasks { Task {a} -cmds { RemoteCmd {a} }; Task {b} -cmds { RemoteCmd {b}; RemoteCmd {b2} }; Task {c} }";

    [Fact]
    public async Task CommitAsync_CompletesEveryConcurrentCaller_AndAllRowsSurviveReopeningTheStore()
    {
        const int callers = 200;
        await using var temp = await NewStoreAsync();
        await using (var store = await temp.OpenMigratedAsync())
        {
            var inserts = Enumerable.Range(1, callers).Select(jid => TestJobs.Insert(jid, ConcurrentThreeTasks, title: $"job {jid}")).ToList();

            await Task.WhenAll(inserts.Select(insert => store.CommitAsync([insert], None).AsTask()));

            await AssertAllPresentAsync(store);
        }
        temp.ClosePooledHandles();

        var reopened = temp.Open();
        await AssertAllPresentAsync(reopened);
        Assert.Equal(callers, (await LoadLiveAsync(reopened)).Jobs.Count);

        async Task AssertAllPresentAsync(IJobStore store)
        {
            var jobs = await store.ListJobsAsync(includeDeleted: true, None);
            Assert.Equal(Enumerable.Range(1, callers).Select(i => (long)i), jobs.Select(j => j.Jid));
            Assert.All(jobs, j => Assert.Equal($"job {j.Jid}", j.Title));
            Assert.All(jobs, j => Assert.Equal(3, j.Counts.Total));
            Assert.Equal(callers * 3, (await store.ListTasksAsync(null, None)).Count);
            Assert.Equal(callers * 3, (await store.ListCommandsAsync(null, None)).Count);
            Assert.Equal(callers.ToString(System.Globalization.CultureInfo.InvariantCulture), await store.GetParamAsync("jidcounter", None));
        }
    }

    /// <summary>
    /// A `-samehost 1` command is stored as such, and read to be scheduled with the latest run of an earlier command of its
    /// task (its cid and blade), from the invocations, whether the whole farm is loaded or the job on its own; other
    /// commands carry none, and neither does one whose task has run nothing before it.
    /// </summary>
    [Fact]
    public async Task SameHostCommand_IsLoadedWithTheLatestRunBeforeItInItsTask()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        await store.CommitAsync(TestJobs.Insert(1, TestJobs.Shot));
        // Shot's task 2 ("frame 1"): command 2, then command 3 with -samehost 1.
        Assert.Equal([3], (await store.ListCommandsAsync(1, None)).Where(c => c.SameHost).Select(c => c.Cid));
        Assert.Null((await LoadLiveAsync(store)).Jobs.Single().Commands.Single(c => c.Cid == 3).PreviousRun);

        await store.CommitAsync(
            new InsertInvocation(1, 1, 2, 2, "blade-a", 1000),
            new FinishInvocation(1, 1100, 1, InvocationState.Error),
            new InsertInvocation(2, 1, 2, 2, "blade-b", 1200),
            new FinishInvocation(2, 1300, 0, InvocationState.Done),
            // Another task's run of a command of the same job does not count.
            new InsertInvocation(3, 1, 1, 1, "blade-c", 1400));

        var loaded = (await LoadLiveAsync(store)).Jobs.Single().Commands;
        Assert.Equal((2, "blade-b"), loaded.Single(c => c.Cid == 3).PreviousRun);
        Assert.All(loaded.Where(c => c.Cid != 3), c => Assert.Null(c.PreviousRun));
        var alone = await store.LoadUnfinishedJobAsync(1, None);
        Assert.Equal((2, "blade-b"), alone!.Commands.Single(c => c.Cid == 3).PreviousRun);
    }
}

/// <summary>The contract on the embedded SQLite store.</summary>
public sealed class SqliteJobStoreTests : JobStoreContractTests
{
    protected override Task<ITestStore> NewStoreAsync() => Task.FromResult<ITestStore>(new TempStore());
}
