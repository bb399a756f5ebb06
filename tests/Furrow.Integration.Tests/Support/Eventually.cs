namespace Furrow.Integration.Tests.Support;

/// <summary>The one way tests wait on real processes: poll a condition until it holds or a deadline passes.</summary>
public static class Eventually
{
    public static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, Func<string> describe) where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await probe() is { } value)
                    return value;
            }
            catch (Exception error) when (error is HttpRequestException or Furrow.Client.EngineException or IOException)
            {
                last = error;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"waited {timeout.TotalSeconds:0}s for: {describe()}{(last is null ? "" : $" (last error: {last.Message})")}");
    }

    public static Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> describe) =>
        WaitForAsync<object>(async () => await condition() ? new object() : null, timeout, describe);
}
