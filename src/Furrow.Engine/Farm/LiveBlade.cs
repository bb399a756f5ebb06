using Furrow.Client.Protocol;
using Furrow.Engine.Blades;
using Furrow.Storage;

namespace Furrow.Engine.Farm;

/// <summary>A blade as the scheduler tracks it: its record, profile, last figures and what runs on it.</summary>
internal sealed class LiveBlade(BladeRecord record)
{
    public BladeRecord Record { get; set; } = record;
    public string Name => Record.Name;
    public long LastContactMs { get; set; } = record.LastContactMs;
    public bool IsLocal { get; set; }

    /// <summary>The address it registered from (blade.config `Hosts` patterns may name it); null when unknown.</summary>
    public string? Address { get; set; }

    /// <summary>The blade.config profile it matched (or that none did); null when the site has no blade.config.</summary>
    public ProfileMatch? Profile { get; set; }

    /// <summary>What the blade last said of its machine (cores, memory, disk, load); null until it says.</summary>
    public BladeFigures? Figures { get; set; }

    /// <summary>
    /// Slots the scheduler may fill: the profile's `MaxSlots` when it sets one (0 there means one per core), never more
    /// than the blade's own `--slots`.
    /// </summary>
    public int Slots => Profile?.Profile?.MaxSlots switch
    {
        > 0 and var max => Math.Min(max, Record.Slots),
        0 when Figures is { Cores: > 0 } f => Math.Min(f.Cores, Record.Slots),
        _ => Record.Slots,
    };

    /// <summary>Slots taken by its current invocations.</summary>
    public int UsedSlots { get; set; }

    /// <summary>
    /// Long polls for work its current process has waiting at the engine. While one waits and nothing runs on the blade,
    /// the blade is in contact (its connection is open; a process that dies closes it), so an idle blade need not report
    /// to stay up. Reset when the blade registers, so a poll of an earlier process never counts.
    /// </summary>
    public int OpenPolls { get; set; }

    /// <summary>
    /// Slots its commands have given back since it registered, counted up and never down: a long poll that began when
    /// some were still taken adds what was given back since to the free slots its blade reported.
    /// </summary>
    public long SlotsFreed { get; set; }

    /// <summary>Invocations the engine asked this blade to stop; sent with each report reply until the blade drops them.</summary>
    public HashSet<long> PendingCancels { get; } = [];

    public HashSet<long> Running { get; } = [];

    /// <summary>How far the blade's clock is from the engine's, from its reports; its event times are corrected by it.</summary>
    public Core.Scheduling.ClockSkew ClockSkew { get; } = new();
}
