using System.Globalization;

namespace Furrow.Core.Config;

/// <summary>
/// The one place tractor.config's numbers are checked: every numeric setting has a range, and a value outside it is
/// refused naming the key, the value and the range (<c>ScriptMaxDepth 0: expected levels of nesting from 1 to 1024</c>),
/// never clamped or left to fail later.
/// </summary>
public static class EngineSettingRanges
{
    /// <summary>The deepest <see cref="EngineConfig.ScriptMaxDepth"/> accepted: the script readers recurse once a level.</summary>
    public const int MaxScriptDepth = 1024;

    /// <summary>The largest <see cref="EngineConfig.ScriptMaxBytes"/> accepted (1 GiB): a script is held whole as text while it is read.</summary>
    public const long MaxScriptBytes = 1L << 30;

    /// <summary>Each setting of <paramref name="config"/> outside its range, in the order EngineConfig declares them.</summary>
    public static IReadOnlyList<ConfigProblem> Problems(EngineConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var problems = new List<ConfigProblem>();
        void Whole(string key, long value, long min, long max, string what)
        {
            if (value < min || value > max)
                problems.Add(ConfigProblem.Value($"{key} {value.ToString(CultureInfo.InvariantCulture)}: expected {what}", key));
        }

        // minExclusive: the value must be above min rather than at least min.
        void Real(string key, double value, double min, bool minExclusive, double max, string what)
        {
            if (!double.IsFinite(value) || value < min || (minExclusive && value == min) || value > max)
                problems.Add(ConfigProblem.Value($"{key} {value.ToString(CultureInfo.InvariantCulture)}: expected {what}", key));
        }

        Whole(nameof(EngineConfig.ListenPort), config.ListenPort, 1, 65535, "a port number from 1 to 65535");
        Real(nameof(EngineConfig.LoginSessionDays), config.LoginSessionDays, 0, true, 3650, "days above 0, up to 3650");
        Real(nameof(EngineConfig.BladeSilenceTimeoutSecs), config.BladeSilenceTimeoutSecs, 0, true, 86_400, "seconds above 0, up to 86400 (a day)");
        Whole(nameof(EngineConfig.ScriptMaxBytes), config.ScriptMaxBytes, 1024, MaxScriptBytes, $"a number of bytes from 1024 to {MaxScriptBytes}");
        Whole(nameof(EngineConfig.ScriptMaxDepth), config.ScriptMaxDepth, 1, MaxScriptDepth, $"levels of nesting from 1 to {MaxScriptDepth}");
        Whole(nameof(EngineConfig.SpoolMaxInFlightBytes), config.SpoolMaxInFlightBytes, 1, long.MaxValue, "a number of bytes above 0");
        Real(nameof(EngineConfig.SpoolQueueWaitSecs), config.SpoolQueueWaitSecs, 0, false, 3600, "seconds from 0 to 3600");
        Whole(nameof(EngineConfig.UserRequestsPerSecond), config.UserRequestsPerSecond, 0, 1_000_000, "requests a second from 0 (no limit) to 1000000");
        Whole(nameof(EngineConfig.UserRequestBurst), config.UserRequestBurst, 1, 1_000_000, "a number of requests from 1 to 1000000");
        Whole(nameof(EngineConfig.BladeRequestsPerSecond), config.BladeRequestsPerSecond, 0, 1_000_000, "requests a second from 0 (no limit) to 1000000");
        Whole(nameof(EngineConfig.BladeRequestBurst), config.BladeRequestBurst, 1, 1_000_000, "a number of requests from 1 to 1000000");
        Real(nameof(EngineConfig.RequestHeadersTimeoutSecs), config.RequestHeadersTimeoutSecs, 0, true, 600, "seconds above 0, up to 600");
        Real(nameof(EngineConfig.MinClientBytesPerSec), config.MinClientBytesPerSec, 0, true, 1e9, "bytes a second above 0, up to 1000000000");
        // The web server checks rates once a second, so a grace of a second or less could never be kept to.
        Real(nameof(EngineConfig.MinClientRateGraceSecs), config.MinClientRateGraceSecs, 1, true, 600, "seconds above 1, up to 600");
        Whole(nameof(EngineConfig.MaxConnections), config.MaxConnections, 16, 1_000_000, "a number of connections from 16 to 1000000");
        Whole(nameof(EngineConfig.MaxAutoRetries), config.MaxAutoRetries, 0, 1000, "a number of reruns from 0 to 1000");
        foreach (var (project, weight) in config.ProjectShares ?? [])
        {
            if (!double.IsFinite(weight) || weight <= 0 || weight > 1e6)
                problems.Add(ConfigProblem.Value(
                    $"ProjectShares \"{project}\" {weight.ToString(CultureInfo.InvariantCulture)}: expected a weight above 0, up to 1000000", nameof(EngineConfig.ProjectShares), project));
        }

        Whole(nameof(EngineConfig.BladeBlocklistFailures), config.BladeBlocklistFailures, 1, 1_000_000, "a number of failed commands from 1 to 1000000");
        Real(nameof(EngineConfig.ArchiveRetentionDays), config.ArchiveRetentionDays, 0, false, 100_000,
            "0 (keep deleted jobs forever) or a number of days up to 100000");
        return problems;
    }
}
