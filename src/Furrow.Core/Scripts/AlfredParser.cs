using Furrow.Core.Scripts.Tcl;

namespace Furrow.Core.Scripts;

/// <summary>Reads Tractor/Alfred job scripts (<c>.alf</c>, Tcl syntax) into a <see cref="JobSpec"/>, or the first error with its position.</summary>
/// <remarks>
/// The parser never throws for bad input: syntax errors, oversized or too deeply nested scripts, NUL characters and
/// the size limit all come back as a <see cref="ScriptError"/>. Work is linear in the script's size times its nesting
/// depth, and all nesting is bounded by <see cref="ScriptLimits.MaxDepth"/>.
/// </remarks>
public static class AlfredParser
{
    public static ScriptParseResult Parse(string text, string fileName) => Parse(text, fileName, ScriptLimits.Default);

    public static ScriptParseResult Parse(string text, string fileName, ScriptLimits limits)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(limits);

        var error = ScriptText.CheckText(text, fileName, limits);
        if (error is not null)
        {
            return ScriptParseResult.Failure(error);
        }

        var source = new TclSource(text, fileName);
        try
        {
            return ScriptParseResult.Success(ReadScript(source, limits));
        }
        catch (ScriptSyntaxException e)
        {
            // Errors are raised where they are found, deep in the reader, and become a result only here.
            return ScriptParseResult.Failure(e.Error);
        }
        catch (InsufficientExecutionStackException)
        {
            return ScriptParseResult.Failure(new ScriptError(
                fileName, 1, 1, "job script is nested too deeply for this thread's stack; lower ScriptLimits.MaxDepth"));
        }
    }

    /// <summary>Reads a script from its bytes, decoded by <see cref="ScriptText.Decode"/> (UTF-8, or Latin-1 when they are not UTF-8).</summary>
    public static ScriptParseResult Parse(ReadOnlySpan<byte> utf8, string fileName, ScriptLimits limits)
    {
        return ScriptText.TryDecode(utf8, fileName, limits, out var text, out var error)
            ? Parse(text, fileName, limits)
            : ScriptParseResult.Failure(error);
    }

    /// <summary>
    /// Reads what a `-expand 1` command printed: `Task`, `Instance` and `Iterate` commands (an optional
    /// `##AlfredToDo` header is a comment), as Tractor's expand takes them. The tasks come back as the subtasks of an
    /// otherwise empty job; errors carry their position in the output.
    /// </summary>
    public static ScriptParseResult ParseExpansion(string text, string fileName, ScriptLimits limits)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(limits);
        if (ScriptText.CheckText(text, fileName, limits) is { } error)
            return ScriptParseResult.Failure(error);
        var source = new TclSource(text, fileName);
        try
        {
            var values = new AlfredValues(new TclEvaluator(limits));
            var tasks = new AlfredTaskReader(values, new AlfredCommandReader(values))
                .ReadCommands(new TclLexer(source, 0, source.Text.Length, 0, limits), 0, "expand output");
            if (tasks.Count == 0)
                throw source.Fail(source.Text.Length, "the expand command printed no Task; expected Task, Iterate or Instance commands");
            return ScriptParseResult.Success(new JobSpec { Title = "expand", Subtasks = tasks, Places = values.Places });
        }
        catch (ScriptSyntaxException e)
        {
            return ScriptParseResult.Failure(e.Error);
        }
        catch (InsufficientExecutionStackException)
        {
            return ScriptParseResult.Failure(new ScriptError(fileName, 1, 1, "expand output is nested too deeply for this thread's stack"));
        }
    }

    private static JobSpec ReadScript(TclSource source, ScriptLimits limits)
    {
        var values = new AlfredValues(new TclEvaluator(limits));
        var lexer = new TclLexer(source, 0, source.Text.Length, 0, limits);
        var words = new List<TclWord>();
        JobSpec? job = null;
        TclWord? jobWord = null;

        // Commands are read one at a time, so an error is reported where Tcl would stop, not at a later lexical error.
        while (lexer.NextCommand(words))
        {
            if (words.Count == 0)
            {
                continue;
            }

            var keyword = values.Text(words[0], 0);
            if (keyword != "Job")
            {
                throw source.Fail(words[0].Start, $"unknown command `{keyword}` at the top of a job script; expected: Job");
            }

            if (jobWord is { } first)
            {
                throw source.Fail(words[0].Start, $"a job script holds exactly one Job, and one already began at {source.Where(first.Start)}");
            }

            jobWord = words[0];
            job = new AlfredJobReader(values).Read(words, 0);
        }

        if (job is not null)
            return job;
        // The end is where the text ends, not after the line break a transport appends (Tractor's adds CRLF to every body).
        var end = source.Text.AsSpan().TrimEnd().Length;
        throw end == 0
            ? source.Fail(0, "the script is empty; a job script must contain one Job command, such as Job -title {render} -subtasks {...}")
            : source.Fail(end, "no Job command found; a job script must contain one Job command, such as Job -title {render} -subtasks {...}");
    }
}
