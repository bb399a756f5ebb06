using System.Diagnostics;
using Furrow.Client;

namespace Furrow.Bench;

/// <summary>
/// What authenticating a caller costs the engine per request (<c>auth</c>): <c>--samples</c> small listings (one job of
/// an empty farm), asked one after another by one client, three ways: with a login token over TCP (the bearer token is
/// hashed and looked up on every request), through the engine's unix socket (the kernel names the caller once per
/// connection), and anonymously over TCP on a second engine whose site sets <c>"RequireAuthentication": false</c> (no
/// check at all, the baseline). Each way reports the engine's CPU per request (the steadier figure on a shared machine)
/// and the client's p50 wall time; the token's cost is its CPU per request less the baseline's. Both engines run without
/// the per-user request limit, as every bench engine does (<see cref="BenchEngine.StartAsync"/>).
/// </summary>
internal static class AuthScenario
{
    public static async Task<Dictionary<string, object>> RunAsync(int samples)
    {
        if (samples < 100)
            throw new ArgumentException("auth needs --samples of 100 or more");
        var result = new Dictionary<string, object> { ["scenario"] = "auth", ["samples"] = samples };
        await using (var engine = await BenchEngine.StartAsync())
        {
            var password = Guid.NewGuid().ToString("N");
            var passwordFile = Path.Combine(engine.Root, "bench-password");
            await File.WriteAllTextAsync(passwordFile, password + "\n");
            var (code, _) = await engine.RunAsync("user", "add", "bench", "--configdir", engine.Root, "--password-file", passwordFile);
            if (code != 0)
                throw new InvalidOperationException($"furrow user add exited with {code}");
            var token = await LoginAsync(engine, "bench", password);
            using (var withToken = new EngineClient(engine.Engine, new HttpClient(), token: token))
                await MeasureAsync("token_tcp", engine, withToken, samples, result);
            using var onSocket = new EngineClient(engine.Engine);
            await MeasureAsync("socket", engine, onSocket, samples, result);
        }
        await using (var open = await BenchEngine.StartAsync(engineSettings: "\"RequireAuthentication\": false"))
        {
            using var anonymous = new EngineClient(open.Engine, new HttpClient()) { UseLocalSocket = false };
            await MeasureAsync("open_tcp", open, anonymous, samples, result);
        }
        result["token_cost_engine_cpu_us_per_request"] =
            Math.Round((double)result["token_tcp_engine_cpu_us_per_request"] - (double)result["open_tcp_engine_cpu_us_per_request"], 1);
        return result;
    }

    /// <summary>A login token of <paramref name="user"/> (a login sees an account added just before it).</summary>
    internal static async Task<string> LoginAsync(BenchEngine engine, string user, string password)
    {
        using var client = new EngineClient(engine.Engine, new HttpClient());
        return (await client.LoginAsync(user, password)).Token;
    }

    private static async Task MeasureAsync(string name, BenchEngine engine, EngineClient client, int samples, Dictionary<string, object> result)
    {
        var options = new ListOptions(Limit: 1);
        for (var i = 0; i < samples / 10; i++) // warm the engine's code and the client's connection
            await client.JobsAsync(null, null, options);
        var times = new List<double>(samples);
        var cpuBefore = engine.CpuTime();
        for (var i = 0; i < samples; i++)
        {
            var watch = Stopwatch.StartNew();
            await client.JobsAsync(null, null, options);
            times.Add(watch.Elapsed.TotalMicroseconds);
        }
        var cpu = engine.CpuTime() - cpuBefore;
        times.Sort();
        result[$"{name}_engine_cpu_us_per_request"] = Math.Round(cpu.TotalMicroseconds / samples, 1);
        result[$"{name}_p50_us"] = Math.Round(QueryScenario.Percentile(times, 0.50), 0);
    }
}
