namespace Furrow.Integration.Tests.Support;

/// <summary>Spools the same job again and again in the background, keeping the ids the engine acknowledged.</summary>
public sealed class SpoolLoad : IAsyncDisposable
{
    private readonly List<long> _acknowledged = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public SpoolLoad(TestSite site, string script)
    {
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var jid = await site.SpoolAsync(script);
                lock (_acknowledged)
                    _acknowledged.Add(jid);
            }
        });
    }

    /// <summary>The job ids acknowledged so far.</summary>
    public long[] Acknowledged
    {
        get
        {
            lock (_acknowledged)
                return [.. _acknowledged];
        }
    }

    public Task WaitForAsync(int jobs) =>
        Eventually.WaitUntilAsync(() => Task.FromResult(Acknowledged.Length >= jobs), TimeSpan.FromSeconds(60), () => $"{jobs} jobs spooled");

    /// <summary>Stops spooling once the spool in flight is answered (and fails the test if one failed).</summary>
    public async Task StopAsync()
    {
        _stop.Cancel();
        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            await _loop;
        }
        catch (Exception)
        {
            // a test that already failed elsewhere: its own assertion is the one to report
        }
        _stop.Dispose();
    }
}
