using System.Collections.ObjectModel;

namespace Furrow.Client.Authoring;

/// <summary>
/// The subtasks of a <see cref="Job"/> or <see cref="JobTask"/>, in order: Furrow numbers tasks depth-first in this
/// order, and a parent with <c>SerialSubtasks</c> runs them one after another in it.
/// </summary>
/// <remarks>
/// Keeps Tractor's parenting rules: a <see cref="JobTask"/> that already has a parent is added as an
/// <see cref="Instance"/> of it (the new parent then waits for that task too); an <see cref="Instance"/> or
/// <see cref="Iterate"/> that already has a parent throws <see cref="InvalidOperationException"/>, and so does a node
/// that would become its own descendant. Removing a node frees it to be added elsewhere.
/// </remarks>
public sealed class SubtaskList : Collection<Subtask>
{
    private readonly object _owner;

    internal SubtaskList(object owner)
    {
        _owner = owner;
    }

    /// <inheritdoc/>
    protected override void InsertItem(int index, Subtask item)
    {
        base.InsertItem(index, Adopt(item));
    }

    /// <inheritdoc/>
    protected override void SetItem(int index, Subtask item)
    {
        var old = this[index];
        var adopted = Adopt(item);
        old.Owner = null;
        base.SetItem(index, adopted);
    }

    /// <inheritdoc/>
    protected override void RemoveItem(int index)
    {
        this[index].Owner = null;
        base.RemoveItem(index);
    }

    /// <inheritdoc/>
    protected override void ClearItems()
    {
        foreach (var item in this)
            item.Owner = null;
        base.ClearItems();
    }

    private Subtask Adopt(Subtask item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.Owner is not null)
        {
            if (item is JobTask task)
                return new Instance(task) { Owner = _owner };
            throw new InvalidOperationException($"{item.Describe()} already has a parent; an Instance or Iterate belongs to one parent only");
        }

        // A node that is an ancestor of the new parent would wait for itself, and walking the tree would never end.
        for (var above = _owner; above is not null; above = (above as Subtask)?.Owner)
        {
            if (ReferenceEquals(above, item))
                throw new InvalidOperationException($"{item.Describe()} cannot be added below itself");
        }

        item.Owner = _owner;
        return item;
    }
}
