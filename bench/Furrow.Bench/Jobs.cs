using System.Diagnostics;
using System.Text;
using Furrow.Client;

namespace Furrow.Bench;

/// <summary>Job scripts the scenarios spool.</summary>
internal static class Jobs
{
    /// <summary>A job of <paramref name="count"/> independent one-command tasks.</summary>
    public static string Flat(int count, string command)
    {
        var script = new StringBuilder("Job -title {bench} -subtasks {\n");
        for (var i = 1; i <= count; i++)
            script.Append("  Task {t").Append(i).Append("} -cmds { RemoteCmd {").Append(command).Append("} }\n");
        return script.Append("}\n").ToString();
    }

    /// <summary>The services the mixed job's commands ask for, in turn by task number, and the marker each command carries.</summary>
    public static readonly (string Marker, string Service)[] MixedServices = [("Maya", "Maya"), ("Nuke", "Nuke"), ("linux", "linux && !Houdini")];

    /// <summary>
    /// A job of <paramref name="count"/> independent tasks whose commands ask in turn for <see cref="MixedServices"/>; every
    /// fourth also counts against the limit <paramref name="limit"/> (<c>-tags</c>). The commands are never run: their argv,
    /// <c>true SERVICE [LIMIT]</c>, tells a simulated blade what was asked of it.
    /// </summary>
    public static string Mixed(int count, string title, string limit)
    {
        var script = new StringBuilder("Job -title {").Append(title).Append("} -subtasks {\n");
        for (var i = 1; i <= count; i++)
        {
            var (marker, service) = MixedServices[(i - 1) % MixedServices.Length];
            var limited = i % 4 == 0;
            script.Append("  Task {t").Append(i).Append("} -cmds { RemoteCmd {true ").Append(marker).Append(limited ? " " + limit : "")
                .Append("} -service {").Append(service).Append('}').Append(limited ? " -tags {" + limit + "}" : "").Append(" }\n");
        }
        return script.Append("}\n").ToString();
    }

    /// <summary>A job of <paramref name="count"/> tasks <c>t1</c>..<c>tN</c> run one after another (serial siblings).</summary>
    public static string Chain(int count, string command)
    {
        var script = new StringBuilder("Job -title {chain} -serialsubtasks 1 -subtasks {\n");
        for (var i = 1; i <= count; i++)
            script.Append("  Task {t").Append(i).Append("} -cmds { RemoteCmd {").Append(command).Append("} }\n");
        return script.Append("}\n").ToString();
    }

    /// <summary>A job whose one task <c>parent</c> runs after its <paramref name="width"/> subtasks <c>c1</c>..<c>cN</c>.</summary>
    public static string FanIn(int width, string command)
    {
        var script = new StringBuilder("Job -title {fanin} -subtasks {\n  Task {parent} -subtasks {\n");
        for (var i = 1; i <= width; i++)
            script.Append("    Task {c").Append(i).Append("} -cmds { RemoteCmd {").Append(command).Append("} }\n");
        return script.Append("  } -cmds { RemoteCmd {").Append(command).Append("} }\n}\n").ToString();
    }

    /// <summary>
    /// Waits until every task of job <paramref name="jid"/> is done, asking every <paramref name="pollMs"/> ms; throws when
    /// one is in error or after <paramref name="timeout"/>.
    /// </summary>
    public static async Task WaitUntilDoneAsync(EngineClient client, long jid, TimeSpan timeout, int pollMs = 20)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var job = (await client.JobsAsync($"jid={jid}")).SingleOrDefault();
            if (job is null || job.NumDone == job.NumTasks)
                return;
            if (job.NumError > 0)
                throw new InvalidOperationException($"job {jid} has {job.NumError} task(s) in error");
            if (watch.Elapsed > timeout)
                throw new TimeoutException($"job {jid} not done after {timeout.TotalSeconds} s ({job.NumDone} of {job.NumTasks} tasks)");
            await Task.Delay(pollMs);
        }
    }
}
