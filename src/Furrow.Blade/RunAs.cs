using Furrow.Core.Config;
using Microsoft.Extensions.Logging;

namespace Furrow.Blade;

/// <summary>Whose account a blade's commands run as (<c>furrow blade --run-as</c>, or <c>FURROW_BLADE_RUN_AS</c>).</summary>
public enum RunAs
{
    /// <summary>The blade's own user: for a blade run as root, every command runs as root.</summary>
    Blade,

    /// <summary>Each command as its job's owner: that account's uid, primary gid and groups (needs a blade run as root).</summary>
    Owner,
}

/// <summary>
/// Decides <see cref="RunAs"/> as a blade starts. A blade run as root would otherwise run every job's commands as root,
/// whoever spooled them, so it needs an explicit choice and refuses to start without one; a blade run as any other user
/// can only run commands as itself, so it needs none and refuses <c>owner</c>. The command line wins over the
/// environment variable, which is there for service units.
/// </summary>
public static partial class RunAsChoice
{
    /// <summary>The environment variable a blade reads its setting from when the command line gives none.</summary>
    public const string EnvironmentVariable = "FURROW_BLADE_RUN_AS";

    /// <summary>The option's name on the blade's command line.</summary>
    public const string OptionName = "--run-as";

    /// <summary>
    /// The setting from <paramref name="option"/> (the command line's value, or null) or else <paramref name="environment"/>
    /// (<see cref="EnvironmentVariable"/>'s), for a blade that runs as root or not; null with the reason it must not start.
    /// </summary>
    public static (RunAs? Setting, string? Refusal) Decide(string? option, string? environment, bool runsAsRoot)
    {
        var (value, source) = option is not null ? (option, OptionName) : (string.IsNullOrWhiteSpace(environment) ? null : environment, EnvironmentVariable);
        RunAs? setting;
        switch (value?.Trim())
        {
            case null:
                setting = null;
                break;
            case "owner":
                setting = RunAs.Owner;
                break;
            case "blade":
                setting = RunAs.Blade;
                break;
            default:
                return (null, $"{source} must be 'owner' (run each command as its job's owner) or 'blade' (as the blade's own user), not {AccountName.Quote(value)}");
        }
        if (setting is null)
            return runsAsRoot
                ? (null, "this blade runs as root, and would run every job's commands as root. Choose whose account they run as: " +
                    $"{OptionName} owner (each command as its job's owner; recommended) or {OptionName} blade (as root, knowingly); " +
                    $"a service unit may set {EnvironmentVariable}=owner or {EnvironmentVariable}=blade instead")
                : (RunAs.Blade, null);
        var owner = source == OptionName ? $"{OptionName} owner" : $"{EnvironmentVariable}=owner";
        if (setting == RunAs.Owner && !runsAsRoot)
            return (null, $"{owner} needs a blade that runs as root: this one runs as uid {Furrow.Keeper.Spawner.EffectiveUid} " +
                $"and cannot run commands as another user. Leave the setting out (commands run as {Environment.UserName}), or start the blade as root");
        if (setting == RunAs.Owner && OwnerSwitch.FindSetpriv() is null)
            return (null, $"{owner} needs setpriv (util-linux), which is not in {string.Join(", ", OwnerSwitch.SetprivPlaces)}");
        return (setting, null);
    }

    /// <summary>Says whose account the blade's commands run as, once, as it starts.</summary>
    public static void Announce(ILogger logger, RunAs setting, bool runsAsRoot)
    {
        if (setting == RunAs.Owner)
            CommandsRunAsOwner(logger);
        else if (runsAsRoot)
            CommandsRunAsRoot(logger, OptionName);
    }

    [LoggerMessage(3150, LogLevel.Information, "Commands run as their job's owner (uid, gid and groups of that account on this host)")]
    private static partial void CommandsRunAsOwner(ILogger logger);

    [LoggerMessage(3151, LogLevel.Warning, "Commands run as root, whoever owns their job ({Option} blade)")]
    private static partial void CommandsRunAsRoot(ILogger logger, string option);
}
