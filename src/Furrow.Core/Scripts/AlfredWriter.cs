using System.Globalization;
using System.Text;
using Furrow.Core.Scripts.Tcl;

namespace Furrow.Core.Scripts;

/// <summary>Renders a <see cref="JobSpec"/> as an alfred script in the layout of Tractor's author API, readable back by <see cref="AlfredParser"/>.</summary>
/// <remarks>
/// Options come in the author API's declaration order, lists are written <c>{{a} {b}}</c> and groups one child per
/// line with two-space indents. Any value braces cannot carry is written quoted with its special characters
/// escaped, so parse(write(job)) gives the same job. Iterate is already expanded in a JobSpec, so its tasks are
/// written out one by one.
/// </remarks>
public static class AlfredWriter
{
    public static string Write(JobSpec job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var w = new StringBuilder();
        w.Append("##AlfredToDo 3.0\n");
        w.Append("Job");
        Text(w, "title", job.Title);
        Text(w, "tier", job.Tier);
        Text(w, "spoolcwd", job.SpoolCwd);
        List(w, "projects", job.Projects);
        List(w, "crews", job.Crews);
        Int(w, "maxactive", job.MaxActive);
        Flag(w, "paused", job.Paused);
        Text(w, "after", job.After);
        IntList(w, "afterjids", job.AfterJids);
        if (job.Assignments.Count > 0)
        {
            Group(w, "init", 0, job.Assignments, (a, indent) => w.Append("Assign ").Append(BareOrWord(a.Name)).Append(' ').Append(Word(a.Value)));
        }

        Int(w, "atleast", job.AtLeast);
        Int(w, "atmost", job.AtMost);
        List(w, "tags", job.Tags);
        if (job.Priority is { } priority)
        {
            w.Append(" -priority {").Append(FormatPriority(priority)).Append('}');
        }

        Text(w, "service", job.Service);
        List(w, "envkey", job.EnvKey);
        Text(w, "comment", job.Comment);
        Text(w, "metadata", job.Metadata);
        Commands(w, "cleanup", 0, job.Cleanup);
        Commands(w, "postscript", 0, job.Postscript);
        if (job.DirMaps.Count > 0)
        {
            Group(w, "dirmaps", 0, job.DirMaps, (m, indent) =>
                w.Append('{').Append(TclList.Format([m.From, m.To])).Append(' ').Append(Zone(m.Zone)).Append('}'));
        }

        Flag(w, "serialsubtasks", job.SerialSubtasks);
        Kept(w, job.Kept);
        Tasks(w, 0, job.Subtasks);
        w.Append('\n');
        return w.ToString();
    }

    private static void Tasks(StringBuilder w, int indent, List<TaskNode> tasks)
    {
        if (tasks.Count > 0)
        {
            Group(w, "subtasks", indent, tasks, (node, inner) => Task(w, inner, node));
        }
    }

    private static void Task(StringBuilder w, int indent, TaskNode node)
    {
        if (node is not TaskSpec task)
        {
            w.Append("Instance ").Append(Word(node.Title));
            return;
        }

        w.Append("Task ").Append(Word(task.Title));
        Text(w, "id", task.Id);
        Text(w, "service", task.Service);
        Int(w, "atleast", task.AtLeast);
        Int(w, "atmost", task.AtMost);
        Commands(w, "cmds", indent, task.Commands);
        List(w, "chaser", task.Chaser);
        List(w, "preview", task.Preview);
        Flag(w, "serialsubtasks", task.SerialSubtasks);
        Flag(w, "resumeblock", task.ResumeBlock);
        Commands(w, "cleanup", indent, task.Cleanup);
        Text(w, "metadata", task.Metadata);
        Kept(w, task.Kept);
        Tasks(w, indent, task.Subtasks);
    }

    private static void Commands(StringBuilder w, string option, int indent, List<CommandSpec> commands)
    {
        if (commands.Count > 0)
        {
            Group(w, option, indent, commands, (c, inner) => Command(w, c));
        }
    }

    private static void Command(StringBuilder w, CommandSpec command)
    {
        if (command.Kind == CommandKind.Builtin && command.Keyword == "File")
        {
            // A built-in is its own command line: `File delete {path}`.
            w.AppendJoin(' ', command.Argv.Select(BareOrWord));
            return;
        }

        if (command.Kind == CommandKind.Builtin)
        {
            // The same built-in read from `RemoteCmd {Alfred} -msg {File delete ...}`: written back in that form, which
            // keeps its options (a service key, tags) that the bare form cannot carry.
            w.Append(command.Keyword is "Cmd" or "Command" ? command.Keyword : "RemoteCmd").Append(" {Alfred}");
            Text(w, "msg", TclList.Format(command.Argv));
        }
        else
        {
            var keyword = command.Kind == CommandKind.Remote ? "RemoteCmd" : command.Keyword is "Cmd" or "Command" ? command.Keyword : "Cmd";
            w.Append(keyword).Append(' ').Append(Word(TclList.Format(command.Argv)));
            Text(w, "msg", command.Msg);
        }
        List(w, "tags", command.Tags);
        Text(w, "service", command.Service);
        Text(w, "id", command.Id);
        Text(w, "refersto", command.RefersTo);
        Flag(w, "expand", command.Expand);
        Int(w, "atleast", command.AtLeast);
        Int(w, "atmost", command.AtMost);
        Flag(w, "samehost", command.SameHost);
        List(w, "envkey", command.EnvKey);
        IntList(w, "retryrc", command.RetryRc);
        Text(w, "when", command.When);
        Text(w, "metadata", command.Metadata);
        Kept(w, command.Kept);
    }

    private static void Group<T>(StringBuilder w, string option, int indent, List<T> items, Action<T, int> writeItem)
    {
        w.Append(" -").Append(option).Append(" {\n");
        foreach (var item in items)
        {
            w.Append(' ', (indent + 1) * 2);
            writeItem(item, indent + 1);
            w.Append('\n');
        }

        w.Append(' ', indent * 2).Append('}');
    }

    private static void Text(StringBuilder w, string option, string? value)
    {
        if (value is not null)
        {
            w.Append(" -").Append(option).Append(' ').Append(Word(value));
        }
    }

    private static void List(StringBuilder w, string option, List<string> items)
    {
        if (items.Count > 0)
        {
            w.Append(" -").Append(option).Append(' ').Append(Word(TclList.Format(items)));
        }
    }

    private static void IntList(StringBuilder w, string option, List<int> items)
    {
        if (items.Count > 0)
        {
            w.Append(" -").Append(option).Append(" {").AppendJoin(' ', items.Select(i => i.ToString(CultureInfo.InvariantCulture))).Append('}');
        }
    }

    private static void Int(StringBuilder w, string option, int? value)
    {
        if (value is { } n)
        {
            w.Append(" -").Append(option).Append(' ').Append(n.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void Flag(StringBuilder w, string option, bool? value)
    {
        // An unset flag and a false one read back the same, so false is written only where the model keeps "unset".
        if (value is { } flag)
        {
            w.Append(" -").Append(option).Append(flag ? " 1" : " 0");
        }
    }

    private static void Flag(StringBuilder w, string option, bool value)
    {
        if (value)
        {
            w.Append(" -").Append(option).Append(" 1");
        }
    }

    private static void Kept(StringBuilder w, List<KeptOption> kept)
    {
        foreach (var option in kept)
        {
            w.Append(" -").Append(option.Name.TrimStart('-')).Append(' ').Append(Word(option.Value));
        }
    }

    private static string Word(string value) => TclList.QuoteWord(value);

    private static string BareOrWord(string value) => IsPlainName(value) ? value : Word(value);

    private static string Zone(string zone) => IsPlainName(zone) ? zone : TclList.QuoteElement(zone);

    private static bool IsPlainName(string s) => s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    // Tractor writes priorities as {%0.1f}; whole numbers keep that look, others keep every digit so they read back equal.
    private static string FormatPriority(double priority) =>
        priority == Math.Floor(priority) && Math.Abs(priority) < 1e15
            ? priority.ToString("0.0", CultureInfo.InvariantCulture)
            : priority.ToString("R", CultureInfo.InvariantCulture);
}
