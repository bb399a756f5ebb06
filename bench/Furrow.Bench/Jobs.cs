using System.Text;

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
}
