namespace Furrow.Blade;

/// <summary>How a blade runs: which engine, its name and how many commands it runs at once.</summary>
public sealed class BladeOptions
{
    public string? Engine { get; set; }

    /// <summary>`--ca-file`: the CA certificate an https engine's certificate must be issued by; null for $FURROW_CA_FILE, else the system's trust store.</summary>
    public string? CaFile { get; set; }
    public string Name { get; set; } = Environment.MachineName;
    public string Host { get; set; } = Environment.MachineName;
    public int Slots { get; set; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>How long one long-poll for work may wait at the engine.</summary>
    public int PollWaitMs { get; set; } = 20_000;

    /// <summary>Directory commands run in; defaults to the blade's own working directory.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>
    /// Where the blade keeps its journal (commands it runs, results not yet delivered). Null means
    /// <see cref="DefaultStateDirectory"/>. Two blades on one host must not share it; the second is refused.
    /// </summary>
    public string? StateDirectory { get; set; }

    /// <summary>
    /// Whose account commands run as: the blade's own (the default), or each job's owner (<see cref="RunAs.Owner"/>, for a
    /// blade that runs as root; <see cref="RunAsChoice"/> decides it from the command line).
    /// </summary>
    public RunAs RunAs { get; set; } = RunAs.Blade;

    /// <summary>
    /// The file holding the site's enrolment secret, shown once to enrol (see <see cref="EnrolmentSecretSource"/>); null looks
    /// at <c>$FURROW_ENROLMENT_SECRET_FILE</c>, then in <see cref="SiteConfigDirectory"/>.
    /// </summary>
    public string? EnrolmentSecretFile { get; set; }

    /// <summary>The site config directory, where a blade on the engine's host finds the enrolment secret; null looks there for none.</summary>
    public string? SiteConfigDirectory { get; set; }

    /// <summary>On SIGTERM, let running commands finish (and deliver their results) before exiting, instead of ending them.</summary>
    public bool Drain { get; set; }

    /// <summary>How long a stopping blade keeps trying to deliver its last results before leaving them in its journal.</summary>
    public TimeSpan StopDeliveryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The state directory when none is given: per user, blade name and engine, under the user's local data directory
    /// (~/.local/share/furrow/blades/NAME@ENGINE), so a blade restarted with the same name and engine finds its journal.
    /// </summary>
    public string DefaultStateDirectory
    {
        get
        {
            var address = Furrow.Client.EngineAddress.Resolve(Engine);
            var engine = $"{address.Host}-{address.Port}";
            var name = Name.Replace('/', '_');
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create),
                "furrow", "blades", $"{name}@{engine}");
        }
    }
}
