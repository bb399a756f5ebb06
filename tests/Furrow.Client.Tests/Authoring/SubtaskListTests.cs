using Furrow.Client.Authoring;

namespace Furrow.Client.Tests.Authoring;

/// <summary>Tractor's parenting rules, as <see cref="SubtaskList"/> keeps them.</summary>
public sealed class SubtaskListTests
{
    [Fact]
    public void Add_TaskThatHasAParent_AddsAnInstanceOfIt()
    {
        var render = new JobTask("render");
        var job = new Job("j") { Subtasks = { render } };
        var comp = new JobTask("comp");

        comp.Subtasks.Add(render);

        var instance = Assert.IsType<Instance>(Assert.Single(comp.Subtasks));
        Assert.Same(render, instance.Target);
        Assert.Same(render, Assert.Single(job.Subtasks));
    }

    [Fact]
    public void Add_InstanceThatHasAParent_Throws()
    {
        var instance = new Instance("render");
        new JobTask("a").Subtasks.Add(instance);

        var error = Assert.Throws<InvalidOperationException>(() => new JobTask("b").Subtasks.Add(instance));

        Assert.Contains("Instance {render} already has a parent", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_IterateThatHasAParent_Throws()
    {
        var frames = new Iterate(1, 2, f => new JobTask($"f{f}"));
        new Job("a").Subtasks.Add(frames);

        Assert.Throws<InvalidOperationException>(() => new Job("b").Subtasks.Add(frames));
    }

    [Fact]
    public void Add_TaskBelowItself_Throws()
    {
        var top = new JobTask("top");
        var middle = new JobTask("middle");
        top.Subtasks.Add(middle);
        var job = new Job("j");

        Assert.Throws<InvalidOperationException>(() => top.Subtasks.Add(top));
        Assert.Throws<InvalidOperationException>(() => middle.Subtasks.Add(top));
        job.Subtasks.Add(top);

        // With a parent, it goes in as an Instance: the list allows that, and building the job refuses the circle.
        middle.Subtasks.Add(top);
        Assert.IsType<Instance>(Assert.Single(middle.Subtasks));
        Assert.Throws<InvalidJobException>(job.Validate);
    }

    [Fact]
    public void Remove_FreesTheTaskToBeAddedElsewhere()
    {
        var render = new JobTask("render");
        var a = new JobTask("a") { Subtasks = { render } };
        var b = new JobTask("b");

        a.Subtasks.Remove(render);
        b.Subtasks.Add(render);

        Assert.Same(render, Assert.Single(b.Subtasks));
    }

    [Fact]
    public void SetItem_ReplacesAndFreesTheOldOne()
    {
        var old = new JobTask("old");
        var a = new JobTask("a") { Subtasks = { old } };

        a.Subtasks[0] = new JobTask("new");
        new JobTask("b").Subtasks.Add(old);

        Assert.Equal("new", Assert.IsType<JobTask>(Assert.Single(a.Subtasks)).Title);
    }

    [Fact]
    public void Clear_FreesEveryTask()
    {
        var render = new JobTask("render");
        var a = new JobTask("a") { Subtasks = { render } };

        a.Subtasks.Clear();
        var b = new JobTask("b") { Subtasks = { render } };

        Assert.Same(render, Assert.Single(b.Subtasks));
    }
}
