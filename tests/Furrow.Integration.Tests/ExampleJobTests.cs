using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>The job scripts in examples/, spooled as the README says with tractor-spool, run to done on a real blade.</summary>
public sealed class ExampleJobTests
{
    private static string Examples => Path.GetFullPath(Path.Combine(Shims.BinDirectory, "..", "examples"));

    [Theory]
    [InlineData("frames.alf", 12)]
    [InlineData("shot.alf", 9)] // eight tasks and the job's -cleanup
    public async Task AnExampleJob_SpooledWithTractorSpool_RunsToDone(string file, int tasks)
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("example", slots: 4);

        var (code, stdout, stderr) = await FurrowProcess.RunAsync("spool", "--engine", site.Engine, Path.Combine(Examples, file));
        Assert.True(code == 0, stderr);
        var jid = long.Parse(System.Text.RegularExpressions.Regex.Match(stdout, @"\d+").Value);

        var job = await site.WaitForJobAsync(jid, j => j.NumDone == j.NumTasks, TimeSpan.FromSeconds(60), $"{file} done");
        Assert.Equal(tasks, job.NumTasks);
    }

    [Fact]
    public async Task TheRetryExample_FailsUntilToldToWork_ThenARetryFinishesIt()
    {
        await using var site = new TestSite();
        await site.StartEngineAsync();
        await site.StartBladeAsync("example");
        var go = "/tmp/furrow-example-go";
        File.Delete(go);
        try
        {
            var (code, stdout, stderr) = await FurrowProcess.RunAsync("spool", "--engine", site.Engine, Path.Combine(Examples, "retry.alf"));
            Assert.True(code == 0, stderr);
            var jid = long.Parse(System.Text.RegularExpressions.Regex.Match(stdout, @"\d+").Value);
            await site.WaitForJobAsync(jid, j => j.NumError == 1, TimeSpan.FromSeconds(30), "in error");
            await File.WriteAllTextAsync(go, "");
            (code, _, stderr) = await FurrowProcess.RunAsync("tq", "--engine", site.Engine, "retry", "error", "--yes", "--force");
            Assert.True(code == 0, stderr);
            await site.WaitForJobAsync(jid, j => j.NumDone == 1, TimeSpan.FromSeconds(30), "done once retried");
        }
        finally
        {
            File.Delete(go);
        }
    }

    [Fact]
    public void EveryExample_IsCoveredByATest()
    {
        Assert.Equal(["frames.alf", "retry.alf", "shot.alf"], Directory.GetFiles(Examples, "*.alf").Select(Path.GetFileName).Order());
    }
}
