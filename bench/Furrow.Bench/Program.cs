using System.Text.Json;
using Furrow.Bench;

// Release-mode benchmarks of a real engine process; each scenario prints one JSON line.
// Usage: dotnet run -c Release --project bench/Furrow.Bench -- dispatch|restart|backup [--tasks N] [--blades N] [--db-mb N] [--store sqlite|postgresql]
var scenario = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "dispatch";
string Text(string name, string fallback) =>
    Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
int Arg(string name, int fallback) =>
    Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;

var result = scenario switch
{
    "dispatch" => await DispatchScenario.RunAsync(tasks: Arg("--tasks", 20_000), blades: Arg("--blades", 100), slots: 4,
        latencySamples: Arg("--samples", 200), store: Text("--store", "sqlite")),
    "restart" => await RestartScenario.RunAsync(tasks: Arg("--tasks", 100_000)),
    "backup" => await BackupScenario.RunAsync(targetMb: Arg("--db-mb", 256)),
    _ => throw new ArgumentException($"unknown scenario '{scenario}': expected dispatch, restart or backup"),
};
Console.WriteLine(JsonSerializer.Serialize(result));
