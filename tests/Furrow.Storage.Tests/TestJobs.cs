using Furrow.Core.Jobs;
using Furrow.Core.Scripts;

namespace Furrow.Storage.Tests;

/// <summary>Jobs built the way the engine builds them: parsed from alfred, compiled, wrapped in a record.</summary>
internal static class TestJobs
{
    public const long SpoolTimeMs = 1_700_000_000_000;

    /// <summary>Nested tasks, serial subtasks, Instances by -id and by title, task and job cleanup, a postscript.</summary>
    public const string Shot = """
        Job -title {comp shot 10} -priority 5 -comment {nightly} -subtasks {
            Task {render all} -serialsubtasks 1 -subtasks {
                Task {frame 1} -id f1 -service {pixarRender} -cmds {
                    RemoteCmd {prman -t:2 /shots/10/f1.rib} -service {pixarRender} -retryrc {3 4} -id {f1render}
                    RemoteCmd {sh -c {echo done 1}} -refersto {f1render} -samehost 1
                }
                Task {frame 2} -cmds {
                    RemoteCmd {prman /shots/10/f2.rib} -expand 1
                } -cleanup {
                    Cmd {rm -f /tmp/f2.tmp}
                }
            } -cmds {
                Cmd {touch /shots/10/rendered}
            }
            Task {composite} -subtasks {
                Instance {f1}
                Instance {frame 2}
            } -cmds {
                RemoteCmd {nuke -x comp.nk}
            }
        } -cleanup {
            Cmd {rm -rf /tmp/shot10}
        } -postscript {
            Cmd {mail -s done} -when done
        }
        """;

    public const string Small = "Job -title {small} -subtasks { Task {only} -cmds { RemoteCmd {{echo} {hi}} } }";

    public static CompiledJob Compile(string script)
    {
        var parsed = AlfredParser.Parse(script, "test.alf");
        Assert.True(parsed.Succeeded, parsed.Error?.ToString());
        var compiled = JobCompiler.Compile(parsed.Job);
        Assert.True(compiled.Job is not null, compiled.Error);
        return compiled.Job;
    }

    public static InsertJob Insert(long jid, string script = Small, string owner = "ana", string? title = null)
    {
        var compiled = Compile(script);
        var spec = compiled.Spec;
        var record = new JobRecord(jid, owner, title ?? spec.Title, spec.Priority ?? 1, SpoolTimeMs + jid, "ws01", "/home/ana/job.alf",
            "/home/ana", spec.Paused ?? false, false, null, null, spec.Comment);
        return new InsertJob(record, compiled, new JobScript(JobScript.Alfred, script));
    }

    /// <summary>
    /// Asserts two job records are equal field by field. A record's generated equality compares its list properties
    /// (AfterJids, Projects, Tags, EnvKey) by reference, so they are compared by content here and then taken as equal.
    /// </summary>
    public static void AssertSameJob(JobRecord expected, JobRecord actual)
    {
        Assert.Equal(expected.AfterJids, actual.AfterJids);
        Assert.Equal(expected.Projects, actual.Projects);
        Assert.Equal(expected.Tags, actual.Tags);
        Assert.Equal(expected.EnvKey, actual.EnvKey);
        Assert.Equal(expected.DirMaps, actual.DirMaps);
        Assert.Equal(expected.Crews, actual.Crews);
        Assert.Equal(expected with
        {
            AfterJids = actual.AfterJids, Projects = actual.Projects, Tags = actual.Tags, EnvKey = actual.EnvKey, DirMaps = actual.DirMaps, Crews = actual.Crews,
        }, actual);
    }

    public static Task CommitAsync(this IJobStore store, params StoreWrite[] writes) =>
        store.CommitAsync(writes, CancellationToken.None).AsTask();
}
