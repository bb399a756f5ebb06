using Furrow.Core.Access;
using Furrow.Core.Jobs;
using Furrow.Core.Query;
using Furrow.Storage.Queries;

namespace Furrow.Storage.Tests;

/// <summary>
/// The clause language run as SQL must answer exactly what the clause means. Each test fills a store with jobs whose
/// columns cover every kind of value (nulls, empty and full lists, quotes, times on and off a millisecond, deleted jobs),
/// runs each clause both ways (in the store, and by <see cref="QueryNode.Evaluate"/> over the rows read back whole), and
/// reports every clause whose answers differ.
/// </summary>
public abstract class QueryTranslationContractTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    // Every time in the data is near here; relative times (-1d) count from it.
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(TestJobs.SpoolTimeMs + 86_400_000);

    protected abstract Task<ITestStore> NewStoreAsync();

    private static QueryContext Context => new("ana", Now);

    public static readonly string[] JobClauses =
    [
        "", "mine", "done", "not done", "active", "error", "blocked", "ready", "jid", "jid = 3", "jid != 3", "jid > 2 and jid <= 4",
        "owner=ana", "owner != ana", "user in [ana, bob]", "owner in [jack, janet, chrissy]", "owner < bob", "owner >= Bob",
        "title like cars", "title like ^COMP", "title like \"DROP TABLE\"", "title like \"O'Brien\"", "title = 'cars lighting'",
        "title like ✓", "title like '^$'", "title > c",
        "priority >= 400", "pri > 4.5", "priority < 1", "priority = 400.5", "priority", "not priority", "priority in [5, 100]",
        "spooltime > -1d", "spooltime < -1d", "spooltime >= -1d", "spooltime <= -25h",
        "spooltime > 1700000000", "spooltime >= 2023-11-14T22:13:20.003Z", "spooltime = 2023-11-14T22:13:20.0035Z",
        "spooltime > 2023-11-14T22:13:20.0025Z", "spooltime < 2023-11-14T22:13:20.0035Z", "spooltime <= 2023-11-14T22:13:20.0035Z",
        "stoptime", "not stoptime", "starttime", "aftertime", "not aftertime", "aftertime > -1h", "deletetime", "not deletetime",
        "projects like ^lig", "projects = fx", "projects != fx", "projects", "not projects", "projects in [fx, comp]", "projects > g",
        "tags=gpu", "tags like .", "afterjids = 1", "afterjids", "afterjids in [1, 2]", "afterjids > 1", "afterjids != 1",
        "tier=batch", "not tier", "tier != batch", "service like pixar", "not service", "service", "maxactive=2", "maxactive",
        "not maxactive", "spoolhost", "not spoolhost", "spoolhost = ws01", "spoolcwd like home", "cwd",
        "jid > 2 and (owner=ana or priority >= 100)", "not (jid = 1 or jid = 2)", "not not mine",
        "numtasks > 3", "numdone > 0", "numerror", "ntasks = 1", "maxtid > 3", "maxcid >= 2", "serialsubtasks", "not serialsubtasks",
        "comment like night", "comment", "minslots", "maxslots > 1", "envkey", "envkey = prod",
        "jid like 1", "priority like 400", "priority like '^5$'", "spooltime like 2023", "serialsubtasks like true", "afterjids like 1",
        "title = \"x' OR '1'='1\"", "title like \"'; DROP TABLE jobs; --\"", "state = paused", "state in [error, done]",
        "state != waiting", "state like e",
    ];

    public static readonly string[] TaskClauses =
    [
        "", "error", "done", "state=done", "not done", "active", "ready", "blocked", "jid=1", "jid=1 and tid=3", "owner=ana", "user=bob",
        "Job.owner=ana and error", "priority > 100", "job.priority >= 5", "title like frame", "title like ^comp", "id=f1", "id",
        "not id", "service like pixar", "not service", "progress > 50", "progress", "not progress", "progress = 100",
        "retrycount > 0", "retrycount", "statetime > -1h", "statetime < -1h", "haslog", "not haslog", "serialsubtasks",
        "job.title like cars", "tid in [1, 2, 3]", "spooltime > -1d", "tier = batch", "projects = fx", "mine and not done",
        "tid like 1", "progress like 5", "cids", "not cids", "cids = 2", "cids in [3, 9]", "cids > 4", "cids like 1",
        "ptids = 0", "ptids = 1", "not ptids = 0", "ptids > 1", "minslots", "not minslots", "minslots = 2", "maxslots >= 4",
        "activetime", "not activetime", "activetime > -1h", "currcid", "currcid = 2", "not currcid",
    ];

    public static readonly string[] CommandClauses =
    [
        "", "argv like prman", "argv = nuke", "argv = 'nuke'", "argv != nuke", "local", "not local", "expand", "not expand",
        "runtype = cleanup", "runtype = regular", "service = pixarRender", "not service", "retryrc = 3", "retrycodes",
        "not retryrcodes", "retryrc > 3", "state = blocked", "state = done", "owner = ana", "task.title like frame",
        "task.state = error", "tags", "not tags", "tags = gpu", "minslots", "maxslots", "envkey", "job.priority >= 5", "cid > 2",
        "tid = 2 and jid = 1", "local like true", "argv like \"^-t:2$\"", "kind = local", "kind != remote",
        "id", "not id", "id = f1render", "refersto = f1render", "refersto like ^f1", "task.cids = 2", "task.ptids = 1",
    ];

    public static readonly string[] InvocationClauses =
    [
        "", "not stoptime", "stoptime", "stoptime and owner = ana", "rcode != 0", "rcode = 0", "rcode", "blade like ^r",
        "blade = render02", "rss > 1G", "mem > 4G", "vsz", "not rss", "elapsedreal > 2h", "wtime < 1m", "cpu > 0.5", "cpu",
        "not cpu", "current", "not current", "state = done", "state = error", "state = running", "task.title like frame",
        "command.argv like prman", "utime > 1", "stime < 1m", "pid", "not pid", "starttime > -1h", "starttime < -1h", "iid > 2",
        "user = bob", "job.title like cars", "elapsedsys like 0.5", "starttime like T",
    ];

    public static readonly string[] JobSorts = ["state,-jid", "priority", "-priority", "owner,-jid", "-spooltime", "stoptime", "-stoptime", "title",
        "-numdone", "projects", "-afterjids", "tier,-pri"];

    public static readonly string[] TaskSorts = ["-progress", "state,tid", "-retrycount", "title", "owner,-tid", "job.priority", "ptids,-tid",
        "-cids", "-activetime", "currcid", "minslots"];

    public static readonly string[] InvocationSorts = ["-rss", "blade", "stoptime", "-cpu,iid", "rcode"];

    [Fact]
    public async Task JobClauses_MatchTheSameJobsInTheStoreAsInMemory()
    {
        await using var temp = await NewStoreAsync();
        var store = await FillAsync(temp);
        var rows = await ReferenceAsync(store);
        var failures = new List<string>();
        foreach (var includeDeleted in new[] { false, true })
        {
            foreach (var clause in JobClauses)
            {
                var expected = Expect(rows.Jobs, QueryTable.Jobs, clause, includeDeleted, r => r.Id);
                var actual = (await store.QueryJobsAsync(Query(QueryTable.Jobs, clause, includeDeleted), None)).Select(j => j.Jid.ToString()).ToList();
                Check(failures, $"jobs {clause} (deleted too: {includeDeleted})", expected, actual);
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(5, rows.Jobs.Count);
    }

    // Long `in` lists are bound as one parameter (QuerySql.OneParameterIn): every column type, the row's own values among
    // values no row has, under `not` and beside a null, must find what the item-by-item form and the reference find.
    [Fact]
    public async Task LongInLists_OfEveryKind_MatchTheSameRowsInTheStoreAsInMemory()
    {
        await using var temp = await NewStoreAsync();
        var store = await FillAsync(temp);
        var rows = await ReferenceAsync(store);
        var many = Furrow.Storage.Queries.QuerySql.OneParameterInFrom + 4;
        string Numbers(int start) => string.Join(' ', Enumerable.Range(start, many));
        string Words(string prefix) => string.Join(' ', Enumerable.Range(0, many).Select(i => $"{prefix}{i}"));
        var jobClauses = new[]
        {
            $"jid in [2 4 {Numbers(1000)}]", $"not jid in [2 {Numbers(1000)}]", $"priority in [{Numbers(95)} 2.5]",
            $"priority in [{Numbers(1)}]", $"owner in [ana \"Bob Smith\" {Words("nobody")} janet]", $"not owner in [{Words("x")} chrissy]",
            $"title in [{Words("t")} \"cars lighting\" \"Ünïcode ✓ title\"]", $"maxactive in [{Numbers(0)}]", $"not maxactive in [{Numbers(1)}]",
            $"tier in [{Words("tier")} rush]", $"numtasks in [{Numbers(0)}] and not jid in [{Numbers(3)}]",
            $"state in [{string.Join(' ', Enumerable.Repeat("done error", many))} paused]", $"spooltime in [{Numbers(1)}]", $"crews in [{Words("c")} lighting]",
        };
        var failures = new List<string>();
        foreach (var clause in jobClauses)
        {
            Assert.True(TractorQuery.Parse(clause, QueryTable.Jobs, Context).Success, clause);
            var expected = Expect(rows.Jobs, QueryTable.Jobs, clause, true, r => r.Id);
            var actual = (await store.QueryJobsAsync(Query(QueryTable.Jobs, clause, true), None)).Select(j => j.Jid.ToString()).ToList();
            Check(failures, $"jobs {clause}", expected, actual);
        }
        foreach (var clause in new[] { $"tid in [1 3 {Numbers(500)}]", $"not tid in [{Numbers(2)}]", $"state in [{string.Join(' ', Enumerable.Repeat("done error", many))} ready]", $"owner in [{Words("o")} bob]" })
        {
            var expected = Expect(rows.Tasks, QueryTable.Tasks, clause, true, r => r.Id);
            var actual = (await store.QueryTasksAsync(Query(QueryTable.Tasks, clause, true), None)).Select(t => $"{t.Task.Jid}/{t.Task.Tid}").ToList();
            Check(failures, $"tasks {clause}", expected, actual);
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        // Not vacuous: some of these lists find rows, and some `not` lists leave rows out.
        Assert.NotEmpty(Expect(rows.Jobs, QueryTable.Jobs, jobClauses[0], true, r => r.Id));
        Assert.NotEmpty(Expect(rows.Jobs, QueryTable.Jobs, jobClauses[4], true, r => r.Id));
    }

    [Fact]
    public async Task TaskCommandAndInvocationClauses_MatchTheSameRowsInTheStoreAsInMemory()
    {
        await using var temp = await NewStoreAsync();
        var store = await FillAsync(temp);
        var rows = await ReferenceAsync(store);
        var failures = new List<string>();
        foreach (var includeDeleted in new[] { false, true })
        {
            foreach (var clause in TaskClauses)
            {
                var expected = Expect(rows.Tasks, QueryTable.Tasks, clause, includeDeleted, r => r.Id);
                var actual = (await store.QueryTasksAsync(Query(QueryTable.Tasks, clause, includeDeleted), None))
                    .Select(t => $"{t.Task.Jid}/{t.Task.Tid}").ToList();
                Check(failures, $"tasks {clause} ({includeDeleted})", expected, actual);
            }
            foreach (var clause in CommandClauses)
            {
                var expected = Expect(rows.Commands, QueryTable.Commands, clause, includeDeleted, r => r.Id);
                var actual = (await store.QueryCommandsAsync(Query(QueryTable.Commands, clause, includeDeleted), None))
                    .Select(c => $"{c.Command.Jid}/{c.Command.Cid}").ToList();
                Check(failures, $"commands {clause} ({includeDeleted})", expected, actual);
            }
            foreach (var clause in InvocationClauses)
            {
                var expected = Expect(rows.Invocations, QueryTable.Invocations, clause, includeDeleted, r => r.Id);
                var actual = (await store.QueryInvocationsAsync(Query(QueryTable.Invocations, clause, includeDeleted), None))
                    .Select(i => i.Invocation.Iid.ToString()).ToList();
                Check(failures, $"invocations {clause} ({includeDeleted})", expected, actual);
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    // Known answers over the data below, so the two evaluations cannot agree by both being wrong.
    [Theory]
    [InlineData("mine", false, "1 5")]
    [InlineData("title like cars", true, "3")]
    [InlineData("title like cars", false, "")]
    [InlineData("priority >= 400", false, "2")]
    [InlineData("spooltime > -1d", false, "1 4 5")]
    [InlineData("spooltime >= 2023-11-14T22:13:20.003Z", false, "1 4 5")]
    [InlineData("spooltime > 2023-11-14T22:13:20.0025Z", false, "1 4 5")]
    [InlineData("spooltime = 2023-11-14T22:13:20.003Z", false, "1")]
    [InlineData("spooltime < 2023-11-14T22:13:20.0035Z", false, "1 2")]
    [InlineData("spooltime <= 2023-11-14T22:13:20.0029Z", false, "2")]
    [InlineData("spooltime = 2023-11-14T22:13:20.0035Z", false, "")]
    [InlineData("afterjids = 1", true, "2 3")]
    [InlineData("not service", false, "2 4 5")]
    [InlineData("projects like ^lig", false, "1")]
    [InlineData("done", false, "5")]
    [InlineData("error", true, "1 3")]
    [InlineData("not aftertime", false, "1 2 5")]
    [InlineData("deletetime", true, "3")]
    [InlineData("serialsubtasks", false, "4")]
    [InlineData("maxactive = 2", false, "1")]
    [InlineData("state = paused", false, "2")]
    [InlineData("state in [error, deleted]", true, "1 3")]
    [InlineData("state = done", false, "5")]
    public async Task KnownClauses_FindTheJobsTheyDescribe(string clause, bool includeDeleted, string jids)
    {
        await using var temp = await NewStoreAsync();
        var store = await FillAsync(temp);

        var found = await store.QueryJobsAsync(Query(QueryTable.Jobs, clause, includeDeleted), None);

        Assert.Equal(jids, string.Join(' ', found.Select(j => j.Jid)));
    }

    [Fact]
    public async Task RandomCombinationsOfClauses_MatchTheSameRows()
    {
        await using var temp = await NewStoreAsync();
        var store = await FillAsync(temp);
        var rows = await ReferenceAsync(store);
        var random = new Random(20261201);
        var failures = new List<string>();
        var usable = JobClauses.Where(c => c.Length > 0 && TractorQuery.Parse(c, QueryTable.Jobs, Context).Success).ToArray();
        var taskUsable = TaskClauses.Where(c => c.Length > 0).ToArray();
        for (var i = 0; i < 150; i++)
        {
            var clause = Combine(random, usable);
            var expected = Expect(rows.Jobs, QueryTable.Jobs, clause, false, r => r.Id);
            var actual = (await store.QueryJobsAsync(Query(QueryTable.Jobs, clause, false), None)).Select(j => j.Jid.ToString()).ToList();
            Check(failures, $"jobs {clause}", expected, actual);

            var taskClause = Combine(random, taskUsable);
            var expectedTasks = Expect(rows.Tasks, QueryTable.Tasks, taskClause, true, r => r.Id);
            var actualTasks = (await store.QueryTasksAsync(Query(QueryTable.Tasks, taskClause, true), None)).Select(t => $"{t.Task.Jid}/{t.Task.Tid}").ToList();
            Check(failures, $"tasks {taskClause}", expectedTasks, actualTasks);
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task TheLongestClausesTheParserTakes_RunInTheStore_AndFindWhatTheyDescribe()
    {
        await using var temp = await NewStoreAsync();
        var store = await FillAsync(temp);
        // As long as the parser allows: an `in` list of 20,000 jids (an operation on that many jobs), and an `or` of 2,000
        // tests. Each nests as deep as it is long if written as parsed; SQLite refuses past 1000.
        var list = "jid in [" + string.Join(' ', Enumerable.Range(3, Furrow.Core.Query.TractorQuery.MaxListItems)) + "]";
        var chain = string.Join(" or ", Enumerable.Range(0, Furrow.Core.Query.TractorQuery.MaxTests).Select(i => i == 0 ? "jid = 5" : $"jid = {100_000 + i}"));

        Assert.Equal("4 5", string.Join(' ', (await store.QueryJobsAsync(Query(QueryTable.Jobs, list, false), None)).Select(j => j.Jid)));
        Assert.Equal("5", string.Join(' ', (await store.QueryJobsAsync(Query(QueryTable.Jobs, chain, false), None)).Select(j => j.Jid)));
        Assert.Equal("1 2", string.Join(' ', (await store.QueryJobsAsync(Query(QueryTable.Jobs, "not (" + list + ")", false), None)).Select(j => j.Jid)));
    }

    [Fact]
    public async Task Sorts_OrderRowsAsTheSortSpecDoes_NullsLastAscending_ThenById()
    {
        await using var temp = await NewStoreAsync();
        var store = await FillAsync(temp);
        var rows = await ReferenceAsync(store);
        var failures = new List<string>();
        foreach (var spec in JobSorts)
        {
            var sort = SortSpec.Parse(spec, QueryTable.Jobs).Sort!;
            var expected = rows.Jobs.Where(r => !r.Deleted).OrderBy(r => r.Row, sort).Select(r => r.Id).ToList();
            var actual = (await store.QueryJobsAsync(new ListQuery(Sort: sort), None)).Select(j => j.Jid.ToString()).ToList();
            CheckOrder(failures, $"jobs -s {spec}", expected, actual);
        }
        foreach (var spec in TaskSorts)
        {
            var sort = SortSpec.Parse(spec, QueryTable.Tasks).Sort!;
            var expected = rows.Tasks.Where(r => !r.Deleted).OrderBy(r => r.Row, sort).Select(r => r.Id).ToList();
            var actual = (await store.QueryTasksAsync(new ListQuery(Sort: sort), None)).Select(t => $"{t.Task.Jid}/{t.Task.Tid}").ToList();
            CheckOrder(failures, $"tasks -s {spec}", expected, actual);
        }
        foreach (var spec in InvocationSorts)
        {
            var sort = SortSpec.Parse(spec, QueryTable.Invocations).Sort!;
            var expected = rows.Invocations.Where(r => !r.Deleted).OrderBy(r => r.Row, sort).Select(r => r.Id).ToList();
            var actual = (await store.QueryInvocationsAsync(new ListQuery(Sort: sort), None)).Select(i => i.Invocation.Iid.ToString()).ToList();
            CheckOrder(failures, $"invocations -s {spec}", expected, actual);
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task JobCounts_FollowEveryStateChange_AndAreRebuiltFromTheTasksOnTheWayUp()
    {
        await using var temp = await NewStoreAsync();
        var store = await FillAsync(temp);
        var counted = QueryTable.Jobs;
        var columns = new[] { "numtasks", "numblocked", "numready", "numactive", "numerror", "numdone" }
            .Select(n => (n, QuerySchema.Jobs.Columns.Single(c => c.Name == n))).ToList();
        async Task<string> KeptAsync() => string.Join(";", (await store.QueryColumnsAsync(counted, columns, new ListQuery(IncludeDeleted: true), None))
            .Select(r => string.Join(',', r.Select(v => v.AsInt))));
        async Task<string> TruthAsync() => string.Join(";", (await store.ListJobsAsync(true, None))
            .Select(j => $"{j.Counts.Total},{j.Counts.Blocked},{j.Counts.Ready},{j.Counts.Active},{j.Counts.Error},{j.Counts.Done}"));

        Assert.Equal(await TruthAsync(), await KeptAsync());
        await store.CommitAsync(new SetTaskState(1, 3, TaskState.Done, 1), new SetTaskState(2, 1, TaskState.Error, 1), new SetTaskState(2, 1, TaskState.Ready, 2),
            new SetTaskState(4, 2, TaskState.Active, 3), new SetTaskState(4, 2, TaskState.Active, 4));
        Assert.Equal(await TruthAsync(), await KeptAsync());

        // Below 11 the counts are gone and nothing keeps them; the way back up counts the tasks again.
        Assert.Equal(10, await store.MigrateToAsync(10, None));
        await using (var connection = await temp.OpenRawConnectionAsync())
        await using (var change = connection.CreateCommand())
        {
            change.CommandText = "UPDATE tasks SET state = 'done' WHERE jid = 4";
            await change.ExecuteNonQueryAsync();
        }
        Assert.Equal(Migrations.MigrationCatalog.LatestVersion, await store.MigrateAsync(None));
        Assert.Equal(await TruthAsync(), await KeptAsync());
        Assert.Contains("2,0,0,0,0,2", await KeptAsync());
    }

    [Fact]
    public async Task APurge_TakesEveryRowOfADeletedJob_AndNothingOfALiveOne()
    {
        await using var temp = await NewStoreAsync();
        var store = await FillAsync(temp);
        var before = await CountsAsync(store);

        Assert.Empty(await store.ListPurgeableJobsAsync(DeleteTime, 10, None));
        var purgeable = await store.ListPurgeableJobsAsync(DeleteTime + 1, 10, None);
        Assert.Equal([(3L, "chrissy")], purgeable);
        await store.CommitAsync(new PurgeJob(3), new PurgeJob(1));

        Assert.Empty(await store.ListPurgeableJobsAsync(long.MaxValue, 10, None));
        Assert.Equal([1L, 2, 4, 5], (await store.ListJobsAsync(true, None)).Select(j => j.Jid));
        Assert.Empty(await store.ListTasksAsync(3, None));
        Assert.Empty(await store.ListCommandsAsync(3, None));
        Assert.Empty(await store.ListInvocationsAsync(3, None));
        Assert.Null(await store.GetJobScriptAsync(3, None));
        Assert.NotNull(await store.GetJobScriptAsync(1, None));
        var after = await CountsAsync(store);
        Assert.Equal(before.Item1 - 1, after.Item1);
        Assert.Equal((await store.ListTasksAsync(1, None)).Count, TestJobs.Compile(TestJobs.Shot).Tasks.Count);
        Assert.Equal(before.Item5, after.Item5);
    }

    [Fact]
    public async Task AScope_ShowsOnlyTheUsersOwnJobs_AndThoseSharedWithItsCrews_InEveryListing()
    {
        await using var temp = await NewStoreAsync();
        var store = await temp.OpenMigratedAsync();
        // 1: dan's own; 2: ana's, shared with fx; 3: bob's, shared with a crew dan is not in; 4: ana's, not shared.
        static InsertJob Shared(long jid, string owner, params string[] crews)
        {
            var insert = TestJobs.Insert(jid, TestJobs.Shot, owner: owner);
            return insert with { Job = insert.Job with { Crews = crews } };
        }
        await store.CommitAsync(Shared(1, "dan"), Shared(2, "ana", "lighting", "fx"), Shared(3, "bob", "comp"), Shared(4, "ana"));
        await store.CommitAsync(new InsertInvocation(1, 2, 1, 1, "render01", TestJobs.SpoolTimeMs), new InsertInvocation(2, 3, 1, 1, "render01", TestJobs.SpoolTimeMs));
        var dan = new JobScope("dan", ["fx", "other"]);

        Assert.Equal([1L, 2], (await store.QueryJobsAsync(new ListQuery { Scope = dan }, None)).Select(j => j.Jid));
        Assert.Equal([1L, 2], (await store.QueryTasksAsync(new ListQuery { Scope = dan }, None)).Select(t => t.Task.Jid).Distinct());
        Assert.Equal([1L, 2], (await store.QueryCommandsAsync(new ListQuery { Scope = dan }, None)).Select(c => c.Command.Jid).Distinct());
        Assert.Equal([2L], (await store.QueryInvocationsAsync(new ListQuery { Scope = dan }, None)).Select(i => i.Invocation.Jid));
        var column = new QueryColumn("jid", QueryColumnType.Int);
        Assert.Equal([1L, 2], (await store.QueryColumnsAsync(QueryTable.Jobs, [("jid", column)], new ListQuery { Scope = dan }, None)).Select(r => r[0].AsInt));
        // The scope narrows a clause and a job id; it never widens them.
        Assert.Empty(await store.QueryJobsAsync(Query(QueryTable.Jobs, "owner = bob or jid = 4", false) with { Scope = dan }, None));
        Assert.Empty(await store.QueryJobsAsync(new ListQuery { Jid = 3, Scope = dan }, None));
        Assert.Equal([2L], (await store.QueryJobsAsync(new ListQuery { Jid = 2, Scope = dan }, None)).Select(j => j.Jid));
        // Without crews only the user's own; names that look like SQL are values, never SQL.
        Assert.Equal([1L], (await store.QueryJobsAsync(new ListQuery { Scope = new JobScope("dan", []) }, None)).Select(j => j.Jid));
        Assert.Empty(await store.QueryJobsAsync(new ListQuery { Scope = new JobScope("x' OR '1'='1", ["fx') OR 1=1 --", "\"comp\""]) }, None));
        Assert.Equal(4, (await store.QueryJobsAsync(new ListQuery(), None)).Count);
    }

    [Fact]
    public async Task LimitAndOffset_PageThroughTheSortedRows_WithoutOverlap()
    {
        await using var temp = await NewStoreAsync();
        var store = await FillAsync(temp);
        var sort = SortSpec.Parse("-priority", QueryTable.Jobs).Sort;
        var all = (await store.QueryJobsAsync(new ListQuery(Sort: sort, IncludeDeleted: true), None)).Select(j => j.Jid).ToList();
        var pages = new List<long>();
        for (var offset = 0; offset < all.Count; offset += 2)
            pages.AddRange((await store.QueryJobsAsync(new ListQuery(Sort: sort, Limit: 2, Offset: offset, IncludeDeleted: true), None)).Select(j => j.Jid));

        Assert.Equal(all, pages);
        Assert.Equal(all.Skip(3), (await store.QueryJobsAsync(new ListQuery(Sort: sort, Offset: 3, IncludeDeleted: true), None)).Select(j => j.Jid));
        Assert.Empty(await store.QueryJobsAsync(new ListQuery(Limit: 0), None));
        Assert.Equal([1L], (await store.QueryTasksAsync(new ListQuery(Limit: 1) { Jid = 1 }, None)).Select(t => t.Task.Jid).Distinct());
    }

    [Fact]
    public async Task Listings_LeaveTheCommentOut_UnlessAskedForIt()
    {
        await using var temp = await NewStoreAsync();
        var store = await FillAsync(temp);

        Assert.All(await store.QueryJobsAsync(new ListQuery(), None), j => Assert.Null(j.Comment));
        Assert.Equal("nightly", (await store.QueryJobsAsync(new ListQuery { Jid = 1, WithComment = true }, None)).Single().Comment);
    }

    [Theory]
    [InlineData("title = \"x' OR '1'='1\"")]
    [InlineData("owner = \"ana'; DELETE FROM jobs; --\"")]
    [InlineData("title like \"x'; DROP TABLE tasks; --\"")]
    [InlineData("projects = 'fx\" OR 1=1 --'")]
    [InlineData("owner in [\"a' OR 'x'='x\", 'b\" OR \"1\"=\"1']")]
    [InlineData("spoolhost = \"ws01' UNION SELECT * FROM params --\"")]
    public async Task HostileValues_MatchNothing_AndLeaveEveryTableIntact(string clause)
    {
        await using var temp = await NewStoreAsync();
        var store = await FillAsync(temp);
        var before = await CountsAsync(store);

        var query = Query(QueryTable.Jobs, clause, true);
        Assert.Empty(await store.QueryJobsAsync(query, None));
        Assert.Empty(await store.QueryTasksAsync(Query(QueryTable.Tasks, clause, true), None));

        // Not one character the user typed reached the statement's text: every value went as a parameter.
        var (sql, parameters) = ListingSql.Jobs(SqlDialectOf(store), query);
        var values = parameters.Select(p => p.Value).OfType<string>().ToList();
        Assert.NotEmpty(values);
        Assert.All(values, v => Assert.DoesNotContain(v, sql, StringComparison.Ordinal));
        foreach (var word in new[] { "DROP", "DELETE", "UNION", "--", "1=1" })
            Assert.DoesNotContain(word, sql, StringComparison.Ordinal);
        Assert.Equal(before, await CountsAsync(store));
    }

    [Fact]
    public async Task APatternThatRunsPastTheQueryTimeout_IsStopped_WithATimeoutError()
    {
        await using var temp = await NewStoreAsync();
        var store = await FillAsync(temp);
        // A pattern that backtracks badly on a long title; the store gives up at the query's timeout, whatever the engine.
        await store.CommitAsync(TestJobs.Insert(9, title: new string('a', 5000) + "!"));
        var query = Query(QueryTable.Jobs, "title like '^(a|aa|aaa)*(a|aa)*b$'", true) with { Timeout = TimeSpan.FromMilliseconds(200) };

        var started = DateTime.UtcNow;
        try
        {
            // PostgreSQL's engine does not backtrack, so it may simply answer (nothing matches); SQLite's .NET pattern must stop.
            Assert.DoesNotContain(await store.QueryJobsAsync(query, None), j => j.Jid == 9);
        }
        catch (QueryTimeoutException error)
        {
            Assert.Contains("took longer than", error.Message);
        }
        catch (QueryRejectedException error)
        {
            // SQLite's like runs .NET's regex with its own match timeout: the pattern is named so the user can fix it.
            Assert.Contains("'^(a|aa|aaa)*(a|aa)*b$' took too long", error.Message);
        }
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20));
    }

    private static Migrations.SqlDialect SqlDialectOf(IJobStore store) => store.Description.StartsWith("sqlite", StringComparison.Ordinal)
        ? Migrations.SqlDialect.Sqlite
        : Migrations.SqlDialect.Postgres;

    private static async Task<(int, int, int, int, string?)> CountsAsync(IJobStore store) =>
        ((await store.ListJobsAsync(true, None)).Count, (await store.ListTasksAsync(null, None)).Count,
            (await store.ListCommandsAsync(null, None)).Count, (await store.ListInvocationsAsync(null, None)).Count,
            await store.GetParamAsync("jidcounter", None));

    private static string Combine(Random random, string[] clauses)
    {
        string Pick() => random.Next(4) == 0 ? $"not ({clauses[random.Next(clauses.Length)]})" : $"({clauses[random.Next(clauses.Length)]})";
        var clause = Pick();
        for (var n = random.Next(1, 4); n > 0; n--)
            clause = $"{clause} {(random.Next(2) == 0 ? "and" : "or")} {Pick()}";
        return clause;
    }

    private static ListQuery Query(QueryTable table, string clause, bool includeDeleted)
    {
        var parsed = TractorQuery.Parse(clause, table, Context);
        Assert.True(parsed.Success, $"{clause}: {parsed.Error}");
        return new ListQuery(parsed.Query, IncludeDeleted: includeDeleted);
    }

    private static List<string> Expect(List<RefRow> rows, QueryTable table, string clause, bool includeDeleted, Func<RefRow, string> id)
    {
        var query = TractorQuery.Parse(clause, table, Context).Query!;
        return rows.Where(r => includeDeleted || !r.Deleted).Where(r => query.Matches(r.Row)).Select(id).ToList();
    }

    private static void Check(List<string> failures, string what, List<string> expected, List<string> actual)
    {
        if (!expected.Order().SequenceEqual(actual.Order()))
            failures.Add($"{what}: expected [{string.Join(' ', expected)}], the store said [{string.Join(' ', actual)}]");
    }

    private static void CheckOrder(List<string> failures, string what, List<string> expected, List<string> actual)
    {
        if (!expected.SequenceEqual(actual))
            failures.Add($"{what}: expected [{string.Join(' ', expected)}], the store said [{string.Join(' ', actual)}]");
    }

    private sealed record RefRow(string Id, bool Deleted, IQueryRow Row);

    private sealed record Reference(List<RefRow> Jobs, List<RefRow> Tasks, List<RefRow> Commands, List<RefRow> Invocations);

    // The rows read back whole, with every column under its clause name: what each column means, written once, by hand.
    private static async Task<Reference> ReferenceAsync(IJobStore store)
    {
        var jobs = (await store.ListJobsAsync(true, None)).ToDictionary(j => j.Jid);
        var tasks = await store.ListTasksAsync(null, None);
        var commands = await store.ListCommandsAsync(null, None);
        var invocations = await store.ListInvocationsAsync(null, None);
        var jobValues = new Dictionary<long, Dictionary<string, object?>>();
        foreach (var (jid, j) in jobs)
        {
            var c = j.Counts;
            var own = tasks.Where(t => t.Jid == jid).ToList();
            jobValues[jid] = new Dictionary<string, object?>
            {
                ["jid"] = j.Jid, ["owner"] = j.Owner, ["title"] = j.Title, ["priority"] = j.Priority,
                ["spooltime"] = Time(j.SpoolTimeMs), ["starttime"] = Time(j.StartTimeMs), ["stoptime"] = Time(j.StopTimeMs),
                ["spoolhost"] = j.SpoolHost, ["spoolfile"] = j.SpoolFile, ["spoolcwd"] = j.SpoolCwd, ["comment"] = j.Comment,
                ["numtasks"] = (long)c.Total, ["numblocked"] = (long)c.Blocked, ["numready"] = (long)c.Ready,
                ["numactive"] = (long)c.Active, ["numerror"] = (long)c.Error, ["numdone"] = (long)c.Done,
                ["deletetime"] = j.Deleted ? Time(DeleteTime) : null,
                ["maxactive"] = (long?)j.MaxActive, ["aftertime"] = Time(j.AfterTimeMs), ["afterjids"] = j.AfterJids.ToList(),
                ["tier"] = j.Tier, ["projects"] = j.Projects.ToList(), ["service"] = j.Service, ["tags"] = j.Tags.ToList(),
                ["envkey"] = j.EnvKey.ToList(), ["minslots"] = (long?)j.AtLeast, ["maxslots"] = (long?)j.AtMost,
                ["maxtid"] = own.Count == 0 ? null : (long)own.Max(t => t.Tid),
                ["maxcid"] = commands.Where(x => x.Jid == jid).Select(x => (long?)x.Cid).Max(),
                ["serialsubtasks"] = RootSerial.Contains(jid),
                ["state"] = j.Deleted ? "deleted" : j.Paused ? "paused" : c.Error > 0 ? "error" : c.Done == c.Total ? "done"
                    : c.Active > 0 ? "active" : "waiting",
            };
        }

        var taskValues = new Dictionary<(long, int), Dictionary<string, object?>>();
        foreach (var t in tasks)
        {
            taskValues[(t.Jid, t.Tid)] = new Dictionary<string, object?>
            {
                ["jid"] = t.Jid, ["tid"] = (long)t.Tid, ["title"] = t.Title, ["id"] = t.Id, ["service"] = t.Service,
                ["state"] = t.State.ToName(), ["statetime"] = Time(t.StateTimeMs), ["retrycount"] = (long)t.RetryCount,
                ["owner"] = jobs[t.Jid].Owner, ["serialsubtasks"] = t.SerialSubtasks,
                ["progress"] = t.State == TaskState.Done ? 100.0 : (double?)t.Progress,
                ["haslog"] = invocations.Any(i => i.Jid == t.Jid && i.Tid == t.Tid && i.StartTimeMs is not null),
            };
            var own = commands.Where(c => c.Jid == t.Jid && c.Tid == t.Tid).OrderBy(c => c.Cid).ToList();
            var runs = invocations.Where(i => i.Jid == t.Jid && i.Tid == t.Tid).OrderBy(i => i.Iid).ToList();
            var values = taskValues[(t.Jid, t.Tid)];
            values["cids"] = own.Select(c => (long)c.Cid).ToList();
            values["ptids"] = new List<long> { t.ParentTid }
                .Concat(tasks.Where(n => n.Jid == t.Jid && n.InstanceOf.Contains(t.Tid)).OrderBy(n => n.Tid).Select(n => (long)n.Tid)).ToList();
            values["minslots"] = own.Max(c => (long?)(c.AtLeast ?? 1));
            values["maxslots"] = own.Max(c => (long?)(c.AtMost ?? c.AtLeast ?? 1));
            // The newest run starts at the last invocation whose cid is not above the one before it.
            var runStart = Enumerable.Range(0, runs.Count).LastOrDefault(k => k == 0 || runs[k - 1].Cid >= runs[k].Cid, -1);
            values["activetime"] = runStart < 0 ? null : Time(runs[runStart].DispatchTimeMs);
            values["currcid"] = runs.Count == 0 ? null : (long)runs[^1].Cid;
        }

        var commandValues = new Dictionary<(long, int), Dictionary<string, object?>>();
        foreach (var c in commands)
        {
            commandValues[(c.Jid, c.Cid)] = new Dictionary<string, object?>
            {
                ["jid"] = c.Jid, ["tid"] = (long)c.Tid, ["cid"] = (long)c.Cid, ["argv"] = c.Argv.ToList(), ["local"] = c.Kind == "local",
                ["expand"] = c.Expand, ["runtype"] = c.RunType, ["service"] = c.Service, ["tags"] = c.Tags.ToList(),
                ["minslots"] = (long?)(c.AtLeast ?? 1), ["maxslots"] = (long?)(c.AtMost ?? c.AtLeast ?? 1), ["envkey"] = c.EnvKey.ToList(),
                ["retryrcodes"] = c.RetryRc.Select(x => (long)x).ToList(), ["state"] = c.State.ToName(), ["owner"] = jobs[c.Jid].Owner,
                ["kind"] = c.Kind,
                // The `-id` and `-refersto` of TestJobs.Shot's first frame (the store's records do not carry them).
                ["id"] = c.Argv.SequenceEqual(["prman", "-t:2", "/shots/10/f1.rib"]) ? "f1render" : null,
                ["refersto"] = c.Argv.SequenceEqual(["sh", "-c", "echo done 1"]) ? "f1render" : null,
            };
        }

        var invocationValues = invocations.Select(i =>
        {
            var u = i.Usage;
            double? cpu = u is { UserSecs: { } user, SystemSecs: { } system, ElapsedRealSecs: > 0 } ? (user + system) / u.ElapsedRealSecs : null;
            return (i, new Dictionary<string, object?>
            {
                ["iid"] = i.Iid, ["jid"] = i.Jid, ["tid"] = (long)i.Tid, ["cid"] = (long)i.Cid, ["blade"] = i.Blade,
                ["starttime"] = Time(i.StartTimeMs), ["stoptime"] = Time(i.StopTimeMs), ["pid"] = (long?)i.Pid,
                ["rcode"] = (long?)i.ExitCode, ["current"] = i.Current, ["state"] = i.Status.ToName(), ["owner"] = jobs[i.Jid].Owner,
                ["elapsedreal"] = u?.ElapsedRealSecs, ["elapsedapp"] = u?.UserSecs, ["elapsedsys"] = u?.SystemSecs,
                ["rss"] = (double?)u?.PeakRssBytes, ["vsz"] = (double?)u?.PeakVszBytes, ["cpu"] = cpu,
            });
        }).ToList();

        static Dictionary<string, object?> With(Dictionary<string, object?> own, params (string Prefix, Dictionary<string, object?>? Values)[] others)
        {
            var all = new Dictionary<string, object?>(own);
            foreach (var (prefix, values) in others)
                foreach (var (key, value) in values ?? [])
                    all[$"{prefix}.{key}"] = value;
            return all;
        }

        return new Reference(
            jobs.Values.Select(j => new RefRow(j.Jid.ToString(), j.Deleted, QueryRow.From(jobValues[j.Jid]))).ToList(),
            tasks.Select(t => new RefRow($"{t.Jid}/{t.Tid}", jobs[t.Jid].Deleted,
                QueryRow.From(With(taskValues[(t.Jid, t.Tid)], ("job", jobValues[t.Jid]))))).ToList(),
            commands.Select(c => new RefRow($"{c.Jid}/{c.Cid}", jobs[c.Jid].Deleted,
                QueryRow.From(With(commandValues[(c.Jid, c.Cid)], ("job", jobValues[c.Jid]), ("task", taskValues.GetValueOrDefault((c.Jid, c.Tid))))))).ToList(),
            invocationValues.Select(x => new RefRow(x.i.Iid.ToString(), jobs[x.i.Jid].Deleted,
                QueryRow.From(With(x.Item2, ("job", jobValues[x.i.Jid]), ("task", taskValues.GetValueOrDefault((x.i.Jid, x.i.Tid))),
                    ("command", commandValues.GetValueOrDefault((x.i.Jid, x.i.Cid))))))).ToList());
    }

    private static DateTimeOffset? Time(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;

    private const long DeleteTime = TestJobs.SpoolTimeMs + 3_600_000;

    private static readonly long[] RootSerial = [4];

    private const string Serial = """
        Job -title {serial} -serialsubtasks 1 -subtasks {
            Task {a} -cmds { RemoteCmd {echo a} }
            Task {b} -cmds { RemoteCmd {echo b} }
        }
        """;

    // Five jobs whose columns cover the value kinds: see the comments on each.
    private static async Task<IJobStore> FillAsync(ITestStore temp)
    {
        var store = await temp.OpenMigratedAsync();
        var t0 = TestJobs.SpoolTimeMs;
        // 1: ana's shot, lists full, a comment, spooled 1 ms after t0 + 2 (a whole-ms time the ISO literals straddle).
        var one = TestJobs.Insert(1, TestJobs.Shot, owner: "ana");
        one = one with
        {
            Job = one.Job with
            {
                SpoolTimeMs = t0 + 3, Projects = ["fx", "Lighting"], Tags = ["gpu"], Tier = "batch", Service = "pixarRender", MaxActive = 2,
                EnvKey = ["prod"], AtLeast = 2, AtMost = 4,
            },
        };
        // 2: bob's, a hostile-looking title, waits for job 1, paused, priority with a fraction, spooled 2 days before now.
        var two = TestJobs.Insert(2, owner: "bob", title: "O'Brien \"quoted\" ; DROP TABLE jobs; --");
        two = two with { Job = two.Job with { Priority = 400.5, AfterJids = [1], Paused = true, SpoolTimeMs = t0 - 86_400_000 } };
        // 3: chrissy's, deleted.
        var three = TestJobs.Insert(3, TestJobs.Shot, owner: "chrissy", title: "cars lighting");
        three = three with { Job = three.Job with { Priority = 100, Projects = ["comp"], AfterJids = [1, 2] } };
        // 4: janet's, no spool host or directory, an after time, priority 0, serial root.
        var four = TestJobs.Insert(4, Serial, owner: "janet", title: "Ünïcode ✓ title");
        four = four with { Job = four.Job with { Priority = 0, SpoolHost = null, SpoolCwd = null, AfterTimeMs = Now.ToUnixTimeMilliseconds() - 60_000, SpoolTimeMs = t0 + 86_400_000 - 10 } };
        // 5: ana's small job, started and stopped.
        var five = TestJobs.Insert(5, owner: "ana", title: "small");
        await store.CommitAsync(one, two, three, four, five);

        var now = Now.ToUnixTimeMilliseconds();
        await store.CommitAsync(
            new SetTaskState(1, 3, TaskState.Error, now - 30 * 60_000, 2),
            new SetTaskState(1, 4, TaskState.Done, now - 2 * 3_600_000),
            new SetTaskState(1, 2, TaskState.Active, now - 60_000),
            new SetTaskProgress(1, 2, 72),
            new SetTaskProgress(1, 3, 30),
            new SetTaskState(3, 3, TaskState.Error, now - 60_000, 1),
            new SetTaskState(4, 1, TaskState.Ready, now - 10),
            new SetTaskState(5, 1, TaskState.Done, now - 5_000),
            new SetJobTimes(5, now - 10_000, now - 5_000),
            new SetJobTimes(1, now - 7_200_000, null),
            new SetJobDeleted(3, DeleteTime),
            new InsertInvocation(1, 1, 3, 2, "render01", now - 40 * 60_000),
            new MarkInvocationStarted(1, 4242, now - 40 * 60_000, 0),
            new FinishInvocation(1, now - 30 * 60_000, 3, InvocationState.Error, new InvocationUsage(600, 450.25, 0.5, 5L << 30, 6L << 30, 0)),
            new InsertInvocation(2, 1, 2, 1, "render02", now - 60_000),
            new MarkInvocationStarted(2, 77, now - 60_000, 0),
            new InsertInvocation(3, 5, 1, 1, "Render03", now - 9_000),
            new MarkInvocationStarted(3, 99, now - 9_000, 0),
            new FinishInvocation(3, now - 5_000, 0, InvocationState.Done, new InvocationUsage(9000, 1.5, 0.25, 1L << 20, null, null)),
            new InsertInvocation(4, 3, 3, 2, "west10", now - 120_000),
            new MarkInvocationStarted(4, 5, now - 120_000, 0),
            new FinishInvocation(4, now - 60_000, 1, InvocationState.Error, new InvocationUsage(0, null, null, null, null, null)),
            new InsertInvocation(5, 1, 4, 3, "render01", now - 3 * 3_600_000));
        return store;
    }
}

public sealed class SqliteQueryTranslationTests : QueryTranslationContractTests
{
    protected override Task<ITestStore> NewStoreAsync() => Task.FromResult<ITestStore>(new TempStore());
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresQueryTranslationTests(PostgresServer server) : QueryTranslationContractTests
{
    protected override async Task<ITestStore> NewStoreAsync() => new PostgresTempStore(server, await server.CreateDatabaseAsync());
}
