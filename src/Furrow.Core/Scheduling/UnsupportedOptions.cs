using Furrow.Core.Scripts;

namespace Furrow.Core.Scheduling;

/// <summary>
/// Job-script options Furrow parses but cannot honour yet. A spool that uses one is refused with
/// "not supported yet: -OPTION" and where it is, never accepted and silently ignored. Options Tractor itself documents
/// as obsolete and ignored (`-pbias`, `-etalevel`) are accepted as Tractor accepts them; `-preview` and `-chaser` are
/// kept with the task for the Dashboard to launch, which is all Tractor's engine does with them. (A command line's
/// <c>%ID(host)</c> codes are checked by <see cref="Jobs.JobCompiler"/>, which knows the job's order of tasks.) A job read from a script is refused at the option's file, line and column (<see cref="JobSpec.Refusal"/>).
/// </summary>
public static class UnsupportedOptions
{
    private static readonly string[] CommandKeptRefused = ["resumewhile", "resumepin", "minrunsecs", "maxrunsecs", "metrics"];

    // The options the alfred readers keep as written (AlfredJobReader, AlfredCommandReader); the JSON form's `kept` may
    // name only these, or it would carry an option no script can hold and nothing reads.
    private static readonly string[] JobKept = ["editpolicy", "etalevel", "pbias", "whendone", "whenerror"];

    /// <summary>The first unsupported option the job uses, as "not supported yet: -OPTION (where)", or null.</summary>
    public static string? Find(JobSpec job)
    {
        foreach (var command in job.Cleanup)
            if (InCommand(job, command, "the job's -cleanup", postscript: false) is { } problem)
                return problem;
        foreach (var command in job.Postscript)
            if (InCommand(job, command, "the job's -postscript", postscript: true) is { } problem)
                return problem;
        foreach (var kept in job.Kept)
            if (!JobKept.Contains(kept.Name))
                return job.Refusal(job, kept.Name, $"unknown Job option -{kept.Name}; a job keeps only -{string.Join(", -", JobKept)}");
        return InTasks(job, job.Subtasks);
    }

    private static string? InTasks(JobSpec job, List<TaskNode> nodes)
    {
        foreach (var node in nodes)
        {
            if (node is not TaskSpec task)
                continue;
            var where = $"task \"{task.Title}\"";
            if (task.ResumeBlock)
                return job.Refusal(task, "resumeblock", $"not supported yet: -resumeblock ({where})");
            foreach (var kept in task.Kept)
                return job.Refusal(task, kept.Name, $"not supported yet: -{kept.Name} ({where})");
            for (var i = 0; i < task.Commands.Count; i++)
                if (InCommand(job, task.Commands[i], $"{where}, command {i + 1}", postscript: false) is { } problem)
                    return problem;
            for (var i = 0; i < task.Cleanup.Count; i++)
                if (InCommand(job, task.Cleanup[i], $"{where}, -cleanup command {i + 1}", postscript: false) is { } problem)
                    return problem;
            if (InTasks(job, task.Subtasks) is { } nested)
                return nested;
        }
        return null;
    }

    private static string? InCommand(JobSpec job, CommandSpec command, string where, bool postscript)
    {
        // The JSON form can say what a script cannot: each is refused here, where both forms meet.
        if (command.When is { } when && !postscript)
            return job.Refusal(command, "when", $"-when {when} is for the job's -postscript commands only ({where}): it would be ignored here");
        if (command.When is { } postWhen && postWhen is not ("done" or "error" or "always"))
            return job.Refusal(command, "when", $"expected -when done, error or always, found \"{postWhen}\" ({where})");
        if (BadKeyword(command) is { } keyword)
            return job.Refusal(command, "", $"{keyword} ({where})");
        foreach (var kept in command.Kept)
            if (!CommandKeptRefused.Contains(kept.Name))
                return job.Refusal(command, kept.Name, $"unknown command option -{kept.Name} ({where})");
            else if (Refused(CommandKeptRefused, kept))
                return job.Refusal(command, kept.Name, $"not supported yet: -{kept.Name} ({where})");
        return null;
    }

    // A builtin is `File delete PATH...` (Tractor's one builtin that does something on a blade), and a command's keyword
    // is one a script can hold, as it is written back with the job's script.
    private static string? BadKeyword(CommandSpec command)
    {
        if (command.Kind == CommandKind.Builtin
            && (command.Argv.Count < 3 || command.Argv[0] != "File" || !command.Argv[1].Equals("delete", StringComparison.OrdinalIgnoreCase)))
            return $"a builtin command is File delete PATH..., not {{{string.Join(' ', command.Argv)}}}";
        return command.Keyword is "RemoteCmd" or "Cmd" or "Command" or "File" ? null
            : $"a command's keyword is RemoteCmd, Cmd, Command or File, not \"{command.Keyword}\"";
    }

    // An option given an empty value (`-metrics {}`, as generators write) asks for nothing, so it is not refused.
    private static bool Refused(string[] names, KeptOption kept) =>
        names.Contains(kept.Name) && !string.IsNullOrWhiteSpace(kept.Value) && kept.Value.Trim() is not ("0" or "{}");
}
