using Furrow.Client.Authoring;

namespace Furrow.Client.Tests.Authoring;

/// <summary>What <see cref="Job.Validate"/> refuses, each with a message that names where the problem is.</summary>
public sealed class JobValidateTests
{
    private static Job WithTask(JobTask task) => new("job") { Subtasks = { task } };

    private static JobTask Echo(string title) => new(title) { Commands = { new Command("echo", title) } };

    private static string Refusal(Job job) => Assert.Throws<InvalidJobException>(job.Validate).Message;

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void Validate_JobWithoutTitle_IsRefused(string title)
    {
        Assert.Contains("job has no title", Refusal(new Job(title) { Subtasks = { Echo("t") } }), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TaskWithoutTitle_IsRefusedNamingItsNumber()
    {
        var job = new Job("job") { Subtasks = { Echo("first"), new JobTask("") } };

        Assert.Contains("task T2 has no title", Refusal(job), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_CommandWithoutWords_IsRefusedNamingTaskAndCommand()
    {
        var job = WithTask(new JobTask("render") { Commands = { new Command("true"), new Command() } });

        Assert.Contains("task T1 \"render\", command 2: the command line is empty", Refusal(job), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_JobWithNothingToRun_IsRefusedAsTheEngineWould()
    {
        Assert.Contains("the job has no tasks", Refusal(new Job("empty")), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_LoneSurrogate_IsRefused()
    {
        var job = WithTask(new JobTask("t") { Commands = { new Command("echo", "\uD800") } });

        Assert.Contains("surrogate", Refusal(job), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_InstanceOfATaskOutsideTheJob_IsRefusedNamingIt()
    {
        var elsewhere = Echo("elsewhere");
        var job = WithTask(new JobTask("comp") { Subtasks = { new Instance(elsewhere) } });

        Assert.Contains("made from task \"elsewhere\", which is not part of this job", Refusal(job), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_InstanceOfANameNoTaskHas_IsRefusedWithTheCompilersMessage()
    {
        var job = WithTask(new JobTask("comp") { Subtasks = { new Instance("render") } });

        Assert.Contains("Instance {render} refers to no task of this job", Refusal(job), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_InstanceWhoseTitleAnEarlierTaskShares_IsRefused_UntilTheTaskHasAnId()
    {
        var first = Echo("render");
        var second = Echo("render");
        var job = new Job("job") { Subtasks = { first, second, new JobTask("comp") { Subtasks = { new Instance(second) } } } };

        Assert.Contains("made from task T2 \"render\", but Furrow looks names up by -id, then by title, first task first, and finds T1 \"render\"",
            Refusal(job), StringComparison.Ordinal);
        second.Id = "render-2";
        job.Validate();
    }

    [Fact]
    public void Validate_DuplicateTaskIds_AreRefusedNamingBothTasks()
    {
        var job = new Job("job") { Subtasks = { new JobTask("a") { Id = "x" }, new JobTask("b") { Id = "x" } } };

        Assert.Contains("task T2 \"b\": -id {x} is already the id of task \"a\"", Refusal(job), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DuplicateCommandIds_AreRefused()
    {
        var job = WithTask(new JobTask("t") { Commands = { new Command("a") { Id = "c" } }, Cleanup = { new Command("b") { Id = "c" } } });

        Assert.Contains("-id {c} is already the id of task T1 \"t\", command 1 (\"a\")", Refusal(job), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(" padded")]
    [InlineData("padded ")]
    [InlineData("\"quoted\"")]
    public void Validate_IdThatAlfredWouldReadDifferently_IsRefused(string id)
    {
        Assert.Contains("-id", Refusal(WithTask(new JobTask("t") { Id = id })), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ServiceKeyThatDoesNotParse_IsRefusedWithWhere()
    {
        var job = WithTask(new JobTask("t") { Commands = { new Command("x") { Service = "linux &&" } } });

        Assert.Contains("task T1 \"t\", command 1 (\"x\"): -service {linux &&} is not a service key expression", Refusal(job), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AnotherCommandsHostCode_NamesAnEarlierCommand_AndItsEscapeNamesNone()
    {
        var job = WithTask(new JobTask("t") { Commands = { new Command("netrender", "%srv(host)") } });
        Assert.Contains("%srv(host) in the command line (task \"t\", command 1) names no command of the job: no command has -id srv",
            Refusal(job), StringComparison.Ordinal);

        job = WithTask(new JobTask("t") { Commands = { new Command("netrender", "%srv(-host)"), new Command("serve") { Id = "srv" } } });
        Assert.Contains("which is not sure to have run before it", Refusal(job), StringComparison.Ordinal);

        job = WithTask(new JobTask("t") { Commands = { new Command("serve") { Id = "srv" }, new Command("netrender", "%srv(-host)") } });
        job.Validate();
        job = WithTask(new JobTask("t") { Commands = { new Command("x") { RefersTo = "nowhere" } } });
        Assert.Contains("-refersto nowhere (task \"t\", command 1) names no command of the job", Refusal(job), StringComparison.Ordinal);
        job = WithTask(new JobTask("t") { Commands = { new Command("render", "-job", "%%srv(host)", "%j", "%04d", "%h") } });
        job.Validate();
    }

    [Fact]
    public void Validate_PostscriptsThatRunOnErrorOrAlways_AreAccepted()
    {
        var job = WithTask(Echo("t"));
        job.Postscript.Add(new Command("mail") { When = PostscriptWhen.Error });
        job.Postscript.Add(new Command("log") { When = PostscriptWhen.Always });

        job.Validate();
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(1e308)]
    [InlineData(-2e6)]
    public void Validate_PriorityOutsideTheRange_IsRefused_NamingTheRange(double priority)
    {
        var job = WithTask(Echo("t"));
        job.Priority = priority;

        Assert.Contains("expected a number from -1000000 to 1000000", Refusal(job), StringComparison.Ordinal);
        job.Priority = 1_000_000;
        job.Validate();
    }

    [Fact]
    public void Validate_UtcAfterTime_IsRefused()
    {
        var job = WithTask(Echo("t"));
        job.After = DateTime.UtcNow;

        Assert.Contains("-after is a UTC time", Refusal(job), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(2147483648L)]
    public void Validate_AfterJidOutsideTheScriptsRange_IsRefused(long jid)
    {
        var job = WithTask(Echo("t"));
        job.AfterJids.Add(jid);

        Assert.Contains("-afterjids holds", Refusal(job), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_InstanceOfItsOwnAncestor_IsRefusedAsACircle()
    {
        var comp = new JobTask("comp");
        var plate = new JobTask("plate") { Subtasks = { new Instance(comp) } };
        comp.Subtasks.Add(plate);

        Assert.Contains("the job could never finish: T1 \"comp\" waits for T2 \"plate\" waits for T1 \"comp\"", Refusal(WithTask(comp)), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SerialSiblingThatWaitsForALaterOne_IsRefusedAsACircle()
    {
        var second = Echo("second");
        var first = new JobTask("first") { Subtasks = { new Instance(second) } };
        var job = new Job("job") { SerialSubtasks = true, Subtasks = { first, second } };

        Assert.Contains("the job could never finish: T1 \"first\" waits for T2 \"second\" waits for T1 \"first\"", Refusal(job), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_InstancesThatOnlyLookBack_AreAccepted()
    {
        var frames = new Iterate(1, 3, f => Echo($"frame {f}"));
        var comp = new JobTask("comp") { Commands = { new Command("comp") } };
        foreach (var frame in frames.Expanded)
            comp.Subtasks.Add((JobTask)frame);
        var job = new Job("job") { SerialSubtasks = true, Subtasks = { frames, comp } };

        job.Validate();

        Assert.All(job.ToJobSpec().Subtasks.OfType<Core.Scripts.TaskSpec>().Last().Subtasks, s => Assert.IsType<Core.Scripts.InstanceSpec>(s));
    }
}
