using Furrow.Core.Scripts;

namespace Furrow.Client.Authoring;

/// <summary>
/// Alfred's <c>Iterate</c>: a run of subtasks made from one template, once for each value from <see cref="From"/> to
/// <see cref="To"/> in steps of <see cref="By"/> (both ends included, as Tractor counts), typically one task per frame.
/// </summary>
/// <remarks>
/// Tractor's template is Tcl text in which <c>$variable</c> is replaced; here it is a C# function of the value, called
/// once per value when the Iterate is made, and its results are <see cref="Expanded"/>. Furrow expands an alfred
/// Iterate into tasks when it reads the script, so the alfred text holds those tasks, which read back to the same job.
/// A result that is a task already placed elsewhere becomes an <see cref="Instance"/> of it, as in any subtask list.
/// </remarks>
/// <example>
/// <code>
/// new Iterate(1, 24, frame => new JobTask($"frame {frame}") { Commands = { new Command("prman", $"f{frame}.rib") } })
/// </code>
/// </example>
public sealed class Iterate : Subtask
{
    private readonly SubtaskList _expanded;

    /// <summary>The template's results for <paramref name="from"/>, <paramref name="from"/> + 1, ... <paramref name="to"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="template"/> is null or returns null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range holds more values than a Furrow job may have tasks.</exception>
    public Iterate(long from, long to, Func<long, Subtask> template)
        : this(from, to, 1, template)
    {
    }

    /// <summary>The template's results for <paramref name="from"/>, <paramref name="from"/> + <paramref name="by"/>, ... up to <paramref name="to"/>.</summary>
    /// <param name="from">The first value (alfred's <c>-from</c>).</param>
    /// <param name="to">The last value, included when the steps land on it (alfred's <c>-to</c>).</param>
    /// <param name="by">The step (alfred's <c>-by</c>); negative counts down. No values at all when it points away from <paramref name="to"/>.</param>
    /// <param name="template">Makes the subtask for one value.</param>
    /// <exception cref="ArgumentNullException"><paramref name="template"/> is null or returns null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="by"/> is 0, or the range holds more values than a Furrow job may have tasks.</exception>
    public Iterate(long from, long to, long by, Func<long, Subtask> template)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (by == 0)
            throw new ArgumentOutOfRangeException(nameof(by), "Iterate's step (-by) must not be 0");
        From = from;
        To = to;
        By = by;
        _expanded = new SubtaskList(this);

        // Counted in decimal because to - from overflows a long at the extremes; the bound is the parser's own.
        var count = (by > 0 ? to >= from : to <= from) ? Math.Floor(((decimal)to - from) / by) + 1 : 0;
        var limit = ScriptLimits.Default.MaxTasks;
        if (count > limit)
            throw new ArgumentOutOfRangeException(nameof(to), $"Iterate from {from} to {to} by {by} would make {count} subtasks; a job may have at most {limit} tasks");
        for (var n = 0L; n < (long)count; n++)
        {
            var value = from + (n * by);
            _expanded.Add(template(value) ?? throw new ArgumentNullException(nameof(template), $"the Iterate template returned null for {value}"));
        }
    }

    /// <summary>The first value.</summary>
    public long From { get; }

    /// <summary>The last value, included when the steps land on it.</summary>
    public long To { get; }

    /// <summary>The step between values.</summary>
    public long By { get; }

    /// <summary>The template's results, one per value in order; they take this Iterate's place among its parent's subtasks.</summary>
    public IReadOnlyList<Subtask> Expanded => _expanded;

    internal override string Describe() => $"Iterate from {From} to {To} by {By}";
}
