namespace Furrow.Blade;

/// <summary>Waits the blade's loops make: for a signal, or for a time, whichever comes first.</summary>
internal static class Waits
{
    /// <summary>
    /// Completes when <paramref name="task"/> does, after <paramref name="milliseconds"/>, or when
    /// <paramref name="cancellationToken"/> is cancelled, never with an exception: an idle blade's loops time out every
    /// few seconds, and an exception each time (as <c>Task.WaitAsync</c> throws) is needless work. The caller checks the
    /// token itself.
    /// </summary>
    public static async Task ForOrTimeoutAsync(Task task, int milliseconds, CancellationToken cancellationToken)
    {
        if (task.IsCompleted)
            return;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(milliseconds, timeout.Token);
        await Task.WhenAny(task, delay).ConfigureAwait(false);
        timeout.Cancel(); // the timer goes now, not when it would have fired
    }
}
