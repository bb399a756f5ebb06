using System.Text;

namespace Furrow.Core.Scheduling;

/// <summary>
/// A parsed service key expression. Conditions test a blade; numbers are the operands of comparisons. The parser
/// checks which is which, so a tree never asks a number whether it matches.
/// </summary>
/// <remarks>
/// `&amp;&amp;`, `||`, `+ -` and `* /` chains are kept as flat lists, so the tree is only as deep as the parentheses
/// and prefix operators, which the parser caps; evaluating and rendering cannot run out of stack.
/// </remarks>
internal abstract class ServiceNode(int column)
{
    /// <summary>1-based column of the node's first token, for type errors.</summary>
    public int Column { get; } = column;

    /// <summary>Binding strength, loosest first: 1 or, 2 and, 3 not, 4 comparison, 5 sum, 6 product, 7 negation, 8 atom.</summary>
    public abstract int Precedence { get; }

    public abstract void Render(StringBuilder text);

    public string Render()
    {
        var text = new StringBuilder();
        Render(text);
        return text.ToString();
    }

    /// <summary>Renders <paramref name="child"/>, in parentheses when it binds more loosely than <paramref name="precedence"/>.</summary>
    protected static void RenderChild(StringBuilder text, ServiceNode child, int precedence)
    {
        if (child.Precedence >= precedence)
        {
            child.Render(text);
            return;
        }

        text.Append('(');
        child.Render(text);
        text.Append(')');
    }
}

/// <summary>A test of a blade: true or false.</summary>
internal abstract class ConditionNode(int column) : ServiceNode(column)
{
    public abstract bool Test(BladeTraits blade);

    /// <summary>Null when <see cref="Test"/> is true, else a short reason in a wrangler's terms.</summary>
    public abstract string? WhyNot(BladeTraits blade);
}

/// <summary>A number: a constant, a blade metric or arithmetic on them.</summary>
internal abstract class NumberNode(int column) : ServiceNode(column)
{
    public abstract double Value(BladeTraits blade);

    /// <summary>Adds each metric this number reads, once, in order of appearance.</summary>
    public abstract void CollectMetrics(List<BladeMetric> metrics);
}

internal sealed class KeyNode(int column, string name) : ConditionNode(column)
{
    public string Name { get; } = name;

    public override int Precedence => 8;

    public override bool Test(BladeTraits blade) => blade.ProvidesKey(Name);

    public override string? WhyNot(BladeTraits blade) => Test(blade) ? null : $"does not provide {Name}";

    public override void Render(StringBuilder text) => text.Append(Name);
}

internal sealed class PatternNode(int column, string pattern) : ConditionNode(column)
{
    public string Pattern { get; } = pattern;

    public override int Precedence => 8;

    public override bool Test(BladeTraits blade) => blade.ProvidesKeyMatching(Pattern);

    public override string? WhyNot(BladeTraits blade) => Test(blade) ? null : $"provides nothing matching \"{Pattern}\"";

    public override void Render(StringBuilder text) => text.Append('"').Append(Pattern).Append('"');
}

internal sealed class NotNode(int column, ConditionNode operand) : ConditionNode(column)
{
    public override int Precedence => 3;

    public override bool Test(BladeTraits blade) => !operand.Test(blade);

    public override string? WhyNot(BladeTraits blade)
    {
        if (Test(blade))
            return null;
        return operand switch
        {
            KeyNode key => $"provides {key.Name}, excluded by {Render()}",
            PatternNode pattern => $"provides a key matching \"{pattern.Pattern}\", excluded by {Render()}",
            CompareNode compare => $"{compare.DescribeBlade(blade)}, excluded by {Render()}",
            _ => $"matches {operand.Render()}, excluded by {Render()}",
        };
    }

    public override void Render(StringBuilder text)
    {
        text.Append('!');
        // Only atoms and other negations go bare: "!(@.mem > 4)" reads better than "!@.mem > 4".
        RenderChild(text, operand, operand is NotNode ? 3 : 8);
    }
}

/// <summary>`a &amp;&amp; b &amp;&amp; …` (a comma means the same, as Tractor documents).</summary>
internal sealed class AllNode(int column, IReadOnlyList<ConditionNode> operands) : ConditionNode(column)
{
    public IReadOnlyList<ConditionNode> Operands => operands;

    public override int Precedence => 2;

    // Indexed, not foreach: dispatch tests keys for every candidate, and an interface enumerator is an allocation each.
    public override bool Test(BladeTraits blade)
    {
        for (var i = 0; i < operands.Count; i++)
        {
            if (!operands[i].Test(blade))
                return false;
        }

        return true;
    }

    public override string? WhyNot(BladeTraits blade)
    {
        var reasons = new List<string>();
        foreach (var operand in operands)
        {
            var reason = operand.WhyNot(blade);
            if (reason is not null)
                reasons.Add(reason);
        }

        return reasons.Count == 0 ? null : string.Join("; ", reasons);
    }

    public override void Render(StringBuilder text)
    {
        for (var i = 0; i < operands.Count; i++)
        {
            if (i > 0)
                text.Append(" && ");
            RenderChild(text, operands[i], 3);
        }
    }
}

/// <summary>`a || b || …`.</summary>
internal sealed class AnyNode(int column, IReadOnlyList<ConditionNode> operands) : ConditionNode(column)
{
    public IReadOnlyList<ConditionNode> Operands => operands;

    public override int Precedence => 1;

    // Indexed for the same reason as AllNode.Test.
    public override bool Test(BladeTraits blade)
    {
        for (var i = 0; i < operands.Count; i++)
        {
            if (operands[i].Test(blade))
                return true;
        }

        return false;
    }

    /// <summary>Every alternative failed: missing keys are named together, other alternatives give their own reason.</summary>
    public override string? WhyNot(BladeTraits blade)
    {
        if (Test(blade))
            return null;
        var missing = new List<string>();
        var reasons = new List<string>();
        foreach (var operand in operands)
        {
            switch (operand)
            {
                case KeyNode key: missing.Add(key.Name); break;
                case PatternNode pattern: missing.Add(pattern.Render()); break;
                default: reasons.Add(operand.WhyNot(blade) ?? operand.Render()); break;
            }
        }

        if (missing.Count == 1)
            reasons.Insert(0, $"does not provide {missing[0]}");
        else if (missing.Count > 1)
            reasons.Insert(0, $"provides none of {string.Join(", ", missing)}");
        return string.Join("; ", reasons);
    }

    public override void Render(StringBuilder text)
    {
        for (var i = 0; i < operands.Count; i++)
        {
            if (i > 0)
                text.Append(" || ");
            RenderChild(text, operands[i], 2);
        }
    }
}

internal sealed class CompareNode(int column, NumberNode left, string op, NumberNode right) : ConditionNode(column)
{
    public override int Precedence => 4;

    public override bool Test(BladeTraits blade)
    {
        var a = left.Value(blade);
        var b = right.Value(blade);
        // A figure the blade has not reported (NaN) meets no test, not even "!=".
        if (double.IsNaN(a) || double.IsNaN(b))
            return false;
        return op switch
        {
            "<" => a < b,
            "<=" => a <= b,
            ">" => a > b,
            ">=" => a >= b,
            "==" => a == b,
            _ => a != b,
        };
    }

    public override string? WhyNot(BladeTraits blade)
    {
        if (Test(blade))
            return null;
        var metrics = Metrics();
        return metrics.Count == 0
            ? $"needs {Render()}, which is never true"
            : $"{DescribeBlade(blade)}, needs {Render()}";
    }

    /// <summary>What the blade has of each metric the comparison reads: <c>has 2.1 GB free memory and 8 CPUs</c>.</summary>
    public string DescribeBlade(BladeTraits blade)
    {
        var metrics = Metrics();
        if (metrics.Count == 0)
            return $"{Render()} holds";
        var known = new List<string>();
        var unknown = new List<string>();
        foreach (var metric in metrics)
        {
            if (BladeMetrics.Describe(metric, blade) is { } described)
                known.Add(described);
            else
                unknown.Add(BladeMetrics.Name(metric));
        }

        var parts = new List<string>();
        if (known.Count > 0)
            parts.Add("has " + string.Join(" and ", known));
        if (unknown.Count > 0)
            parts.Add("has not reported its " + string.Join(" or ", unknown));
        return string.Join("; ", parts);
    }

    public override void Render(StringBuilder text)
    {
        RenderChild(text, left, 5);
        text.Append(' ').Append(op).Append(' ');
        RenderChild(text, right, 5);
    }

    private List<BladeMetric> Metrics()
    {
        var metrics = new List<BladeMetric>();
        left.CollectMetrics(metrics);
        right.CollectMetrics(metrics);
        return metrics;
    }
}

internal sealed class MetricNode(int column, BladeMetric metric) : NumberNode(column)
{
    public override int Precedence => 8;

    public override double Value(BladeTraits blade) => BladeMetrics.Value(metric, blade);

    public override void CollectMetrics(List<BladeMetric> metrics)
    {
        if (!metrics.Contains(metric))
            metrics.Add(metric);
    }

    public override void Render(StringBuilder text) => text.Append(BladeMetrics.Text(metric));
}

internal sealed class ConstantNode(int column, double value) : NumberNode(column)
{
    public override int Precedence => 8;

    public override double Value(BladeTraits blade) => value;

    public override void CollectMetrics(List<BladeMetric> metrics)
    {
    }

    public override void Render(StringBuilder text) => text.Append(NumberText.Exact(value));
}

internal sealed class NegateNode(int column, NumberNode operand) : NumberNode(column)
{
    public override int Precedence => 7;

    public override double Value(BladeTraits blade) => -operand.Value(blade);

    public override void CollectMetrics(List<BladeMetric> metrics) => operand.CollectMetrics(metrics);

    public override void Render(StringBuilder text)
    {
        text.Append('-');
        RenderChild(text, operand, 8);
    }
}

/// <summary>
/// A left-to-right chain of one precedence level: <c>a + b - c</c> (precedence 5) or <c>a * b / c</c> (precedence 6).
/// Division by zero gives an infinity or NaN, and every comparison with NaN is false, so it never matches by accident.
/// </summary>
internal sealed class ArithmeticNode(int column, int precedence, NumberNode first, IReadOnlyList<(char Op, NumberNode Operand)> rest)
    : NumberNode(column)
{
    public override int Precedence => precedence;

    public override double Value(BladeTraits blade)
    {
        var value = first.Value(blade);
        foreach (var (op, operand) in rest)
        {
            var next = operand.Value(blade);
            value = op switch
            {
                '+' => value + next,
                '-' => value - next,
                '*' => value * next,
                _ => value / next,
            };
        }

        return value;
    }

    public override void CollectMetrics(List<BladeMetric> metrics)
    {
        first.CollectMetrics(metrics);
        foreach (var (_, operand) in rest)
            operand.CollectMetrics(metrics);
    }

    public override void Render(StringBuilder text)
    {
        RenderChild(text, first, precedence);
        foreach (var (op, operand) in rest)
        {
            text.Append(' ').Append(op).Append(' ');
            // The right operand of - and / must keep its parentheses: a - (b - c) is not a - b - c.
            RenderChild(text, operand, precedence + 1);
        }
    }
}
