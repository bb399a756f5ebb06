using System.Diagnostics;
using Furrow.Client;
using Furrow.Client.Authoring;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>A job built with the author API (Furrow.Client.Authoring), spooled to a real engine and run by a real blade.</summary>
public sealed class AuthorApiTests
{
    [Fact]
    public async Task AnAuthoredJob_SpooledToARealEngine_RunsItsTasksAsBuilt()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("author", slots: 2);

        // echo is run without a shell, so each argument reaches it exactly as built, Tcl's special characters and all.
        static string Said(long frame) => $"frame {frame}: \"quoted\" {{braced}} $HOME [not run] back\\slash";
        var frames = new Iterate(1, 3, f => new JobTask($"frame {f}") { Commands = { new Command("echo", Said(f)) } });
        var comp = new JobTask("comp") { Commands = { new Command("echo", "comp after every frame") } };
        foreach (var frame in frames.Expanded)
            comp.Subtasks.Add(frame); // each frame already sits in the Iterate, so comp gets an Instance of it
        var job = new Job("authored {job}") { Subtasks = { frames, comp }, Cleanup = { new Command("echo", "cleaned up") } };

        var jid = await job.SpoolAsync(site.Client, new SpoolOptions("tester", "authored.alf"));

        var done = await site.WaitForJobAsync(jid, j => j.NumDone == j.NumTasks, TimeSpan.FromSeconds(60), "done");
        Assert.Equal("authored {job}", done.Title);
        var tasks = (await site.Client.TasksAsync($"jid={jid}")).OrderBy(t => t.Tid).ToList();
        Assert.Equal(["frame 1", "frame 2", "frame 3", "comp", "job cleanup"], tasks.Select(t => t.Title));
        Assert.All(tasks, t => Assert.Equal("done", t.State));
        for (var tid = 1; tid <= 3; tid++)
            Assert.Contains(Said(tid), await site.Client.TaskLogAsync(jid, tid), StringComparison.Ordinal);
        Assert.Contains("comp after every frame", await site.Client.TaskLogAsync(jid, 4), StringComparison.Ordinal);
        Assert.Contains("cleaned up", await site.Client.TaskLogAsync(jid, 5), StringComparison.Ordinal);
        Assert.Equal(job.ToAlfred(), await site.Client.JobScriptAsync(jid));
    }

    [Fact]
    public async Task AnAuthoredJob_TheEngineRefuses_ThrowsTheEnginesReason()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        var job = new Job("bad tier") { Tier = "no-such-tier", Subtasks = { new JobTask("t") { Commands = { new Command("true") } } } };

        var refused = await Assert.ThrowsAsync<EngineException>(() => job.SpoolAsync(site.Client, new SpoolOptions("tester")));

        Assert.Contains("-tier no-such-tier", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheAuthorExample_GivenAnEngine_SpoolsAJobThatRunsToDone()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("example", slots: 4);

        var info = new ProcessStartInfo("dotnet") { ArgumentList = { AuthorExample, "--engine", site.Engine } };
        var (code, stdout, stderr) = await ProgramRun.RunAsync(info);

        Assert.True(code == 0, stderr);
        var jid = long.Parse(stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var job = await site.WaitForJobAsync(jid, j => j.NumDone == j.NumTasks, TimeSpan.FromSeconds(60), "done");
        Assert.Equal(13, job.NumTasks); // ten frames, the task holding them, the movie, and the job's cleanup
    }

    // examples/author as built beside this test project, in the same configuration (see its ProjectReference).
    private static string AuthorExample
    {
        get
        {
            var tfm = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
            return Path.GetFullPath(Path.Combine(Shims.BinDirectory, "..", "examples", "author", "bin", tfm.Parent!.Name, tfm.Name, "Author.dll"));
        }
    }
}
