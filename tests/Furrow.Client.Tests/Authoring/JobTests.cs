using System.Net;
using Furrow.Client.Authoring;
using Furrow.Core.Scripts;

namespace Furrow.Client.Tests.Authoring;

/// <summary>What <see cref="Job.ToAlfred"/>, <see cref="Job.ToJobSpec"/> and <see cref="Job.SpoolAsync(EngineClient, SpoolOptions, CancellationToken)"/> produce for named jobs.</summary>
public sealed class JobTests
{
    private static Job FrameRange()
    {
        var job = new Job("shot 12") { Priority = 100, Service = "linux" };
        job.Subtasks.Add(new Iterate(1, 3, frame => new JobTask($"frame {frame}")
        {
            Commands = { new Command("prman", "-Progress", $"shot12.{frame:0000}.rib") },
        }));
        job.Cleanup.Add(new Command("rm", "-rf", "/tmp/shot 12"));
        return job;
    }

    private static JobSpec ReadBack(Job job)
    {
        var text = job.ToAlfred();
        var read = AlfredParser.Parse(text, "authored.alf");
        Assert.True(read.Succeeded, $"{read.Error}\n{text}");
        Assert.Equal(JobJson.Serialize(job.ToJobSpec()), JobJson.Serialize(read.Job));
        return read.Job;
    }

    [Fact]
    public void ToAlfred_FrameRangeWithCleanup_WritesTractorsAuthorApiLayout()
    {
        Assert.Equal(
            "##AlfredToDo 3.0\n"
            + "Job -title {shot 12} -priority {100.0} -service {linux} -cleanup {\n"
            + "  RemoteCmd {{rm} {-rf} {/tmp/shot 12}}\n"
            + "} -subtasks {\n"
            + "  Task {frame 1} -cmds {\n"
            + "    RemoteCmd {{prman} {-Progress} {shot12.0001.rib}}\n"
            + "  }\n"
            + "  Task {frame 2} -cmds {\n"
            + "    RemoteCmd {{prman} {-Progress} {shot12.0002.rib}}\n"
            + "  }\n"
            + "  Task {frame 3} -cmds {\n"
            + "    RemoteCmd {{prman} {-Progress} {shot12.0003.rib}}\n"
            + "  }\n"
            + "}\n",
            FrameRange().ToAlfred());
    }

    [Fact]
    public void ToAlfred_ArgvWithSpacesQuotesAndTclSpecials_ReadsBackWordForWord()
    {
        string[] argv = ["sh", "-c", "echo \"$HOME\" [pwd] {x} \\ ; # done\nnext line", "", "  ", "héllo 😀", "a\\", "}{"];
        var job = new Job("quoting") { Subtasks = { new JobTask("t") { Commands = { new Command(argv) } } } };

        var read = ReadBack(job);

        Assert.Equal(argv, ((TaskSpec)read.Subtasks[0]).Commands[0].Argv);
    }

    [Fact]
    public void ToAlfred_LocalCommand_IsWrittenAsCmd()
    {
        var job = new Job("j") { Subtasks = { new JobTask("t") { Commands = { new Command("hostname") { Local = true } } } } };

        Assert.Contains("Cmd {{hostname}}", job.ToAlfred(), StringComparison.Ordinal);
        Assert.Equal(CommandKind.Local, ((TaskSpec)ReadBack(job).Subtasks[0]).Commands[0].Kind);
    }

    [Fact]
    public void ToAlfred_EveryOption_ReadsBackToTheSameJob()
    {
        var comp = new JobTask("comp") { Id = "comp", Service = "nuke", AtLeast = 2, AtMost = 4, SerialSubtasks = true, Metadata = "{\"k\": 1}" };
        var plate = new JobTask("plate") { Commands = { new Command("cp", "a", "b") { Id = "c0" } } };
        comp.Subtasks.Add(plate);
        comp.Commands.Add(new Command("nuke", "-x", "comp.nk")
        {
            Service = "nuke && linux", Tags = { "nuke" }, EnvKey = { "nuke11" }, Id = "c1", RefersTo = "c0", Msg = "m", Expand = true,
            RetryRc = { 3, 5 }, AtLeast = 1, AtMost = 8, Metadata = "meta", SameHost = true,
        });
        comp.Cleanup.Add(new Command("rm", "tmp.nk"));
        comp.Chaser.AddRange(["it", "comp.exr"]);
        comp.Preview.AddRange(["sho", "comp.exr"]);
        var job = new Job("all options")
        {
            Priority = 12.5, Service = "linux", EnvKey = { "maya2016" }, Tags = { "prman" }, Projects = { "shot12" }, Crews = { "lighting" },
            Tier = "batch", Paused = true, MaxActive = 5, AtLeast = 1, AtMost = 2, SerialSubtasks = true,
            After = new DateTime(2031, 6, 23, 13, 45, 10), AfterJids = { 7, 9 }, Comment = "a comment", Metadata = "m", SpoolCwd = "/shots/12",
            DirMaps = { new DirMap("/shots", "S:/shots", "UNC") },
            Postscript = { new Command("mail", "me") { When = PostscriptWhen.Done } },
            Subtasks = { comp, new JobTask("review") { Subtasks = { plate } } },
        };

        var read = ReadBack(job);

        Assert.Equal("2031-06-23 13:45:10", read.After);
        Assert.True(((TaskSpec)read.Subtasks[0]).Commands[0].SameHost);
        Assert.IsType<InstanceSpec>(((TaskSpec)read.Subtasks[1]).Subtasks[0]);
    }

    [Fact]
    public void ToJobSpec_EmptyOptionalText_IsNone()
    {
        var job = new Job("j") { Comment = "", Service = "", Subtasks = { new JobTask("t") { Id = "", Commands = { new Command("true") { Msg = "" } } } } };

        var spec = job.ToJobSpec();

        Assert.Null(spec.Comment);
        Assert.Null(spec.Service);
        Assert.Null(((TaskSpec)spec.Subtasks[0]).Id);
        Assert.Null(((TaskSpec)spec.Subtasks[0]).Commands[0].Msg);
    }

    [Fact]
    public void ToJobSpec_InstanceOfATaskWithAnId_NamesItById()
    {
        var render = new JobTask("render") { Id = "r1" };
        var job = new Job("j") { Subtasks = { render, new JobTask("comp") { Subtasks = { new Instance(render) } } } };

        var comp = (TaskSpec)job.ToJobSpec().Subtasks[1];

        Assert.Equal("r1", comp.Subtasks[0].Title);
    }

    [Fact]
    public async Task SpoolAsync_PostsTheAlfredTextWithTheGivenOptions_AndReturnsTheJid()
    {
        var engine = new RecordingEngine("""{"rc":0,"msg":"ok","jid":42}""");
        using var client = new EngineClient("farm:5600", new HttpClient(engine));
        var job = FrameRange();

        var jid = await job.SpoolAsync(client, new SpoolOptions("wrangler", "shot12.alf", "ws1", "/shots/12", Priority: 50, IsJson: true));

        Assert.Equal(42, jid);
        var request = Assert.Single(engine.Requests);
        Assert.Equal("http://farm:5600/api/v1/jobs?user=wrangler&file=shot12.alf&host=ws1&cwd=%2Fshots%2F12&priority=50&format=alfred", request.Uri);
        Assert.Equal(job.ToAlfred(), request.Body);
    }

    [Fact]
    public async Task SpoolAsync_WithoutOptions_SpoolsFromTheJobsSpoolCwd()
    {
        var engine = new RecordingEngine("""{"rc":0,"msg":"ok","jid":7}""");
        using var client = new EngineClient("farm:5600", new HttpClient(engine));
        var job = FrameRange();
        job.SpoolCwd = "/shots/12";

        await job.SpoolAsync(client);

        Assert.Contains("cwd=%2Fshots%2F12", Assert.Single(engine.Requests).Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SpoolAsync_InvalidJob_SendsNothing()
    {
        var engine = new RecordingEngine("{}");
        using var client = new EngineClient("farm:5600", new HttpClient(engine));
        var job = new Job("j") { Subtasks = { new JobTask("t") { Subtasks = { new Instance("nowhere") } } } };

        await Assert.ThrowsAsync<InvalidJobException>(() => job.SpoolAsync(client));

        Assert.Empty(engine.Requests);
    }

    [Fact]
    public async Task SpoolAsync_EngineRefuses_ThrowsItsMessage()
    {
        var engine = new RecordingEngine("""{"rc":400,"msg":"-tier batch: not one of this site's DispatchTiers"}""", HttpStatusCode.BadRequest);
        using var client = new EngineClient("farm:5600", new HttpClient(engine));

        var refused = await Assert.ThrowsAsync<EngineException>(() => FrameRange().SpoolAsync(client));

        Assert.Equal(400, refused.StatusCode);
        Assert.Contains("DispatchTiers", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>Answers every request with one reply and keeps what was sent.</summary>
    private sealed class RecordingEngine(string reply, HttpStatusCode status = HttpStatusCode.OK) : HttpMessageHandler
    {
        public List<(string Uri, string Body)> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
            Requests.Add((request.RequestUri!.AbsoluteUri, body));
            return new HttpResponseMessage(status) { Content = new StringContent(reply) };
        }
    }
}
