using Furrow.Core.Config;

namespace Furrow.Core.Access;

/// <summary>Who asks: the user a request acts as, and whether its login is an administrator (the engine's own account,
/// root on the engine's socket, or a member of the Administrators crew).</summary>
public sealed record AccessCaller(string Name, bool Administrator);

/// <summary>
/// The jobs a caller of crews.config's RestrictedViewLogins may see: those <see cref="User"/> owns, and those whose
/// `-crews` list names one of <see cref="Crews"/> (every crews.config crew the user is in, directly or through another).
/// The engine hands it to the store, which turns it into a parameterised predicate on every read of jobs and their rows.
/// </summary>
public sealed record JobScope(string User, IReadOnlyList<string> Crews)
{
    /// <summary>Whether a job owned by <paramref name="owner"/> with the `-crews` list <paramref name="jobCrews"/> is in scope.</summary>
    public bool Shows(string owner, IEnumerable<string> jobCrews) =>
        owner == User || jobCrews.Any(crew => Crews.Contains(crew, StringComparer.Ordinal));
}

/// <summary>A job as the rules see it: its owner, its `-editpolicy` (null for none) and who holds its lock (null for none).</summary>
public sealed record JobAccessFacts(string Owner, string? EditPolicy, string? LockedBy);

/// <summary>
/// Who may do what, from `crews.config` (Tractor's crews and JobEditAccessPolicies): one place that says whether a caller
/// may run an operation on a job, may change the farm (dispatch, nimby, blade names, blocklists), or may call at all.
/// Pure: the engine reads the file and hands the result here (<see cref="CrewsConfig"/>); an absent file is an empty one.
/// </summary>
/// <remarks>
/// Tractor's rules kept: a crew lists users and other crews, expanded recursively; Administrators always have full job
/// edit access; a job names its policy with `-editpolicy`, and a name crews.config does not define falls back to
/// `defaultPolicy` (Tractor's concession to production wrangling); ValidLogins limits who may log in, BannedLogins
/// makes exceptions. Furrow's own crews, kept inside Crews so that the file stays one Tractor reads: ReadOnlyLogins
/// (list and read only), SpoolLogins (who may spool) and RestrictedViewLogins (who sees only their own and their crews'
/// jobs). Furrow's choices where Tractor's documentation is silent: a policy's keys are Furrow's operation
/// names or the groups in <see cref="Groups"/>; a policy that does not name an operation takes defaultPolicy's answer
/// for it, and one defaultPolicy does not name either is allowed to JobOwner, Wranglers and Administrators.
/// </remarks>
public sealed class CrewRules
{
    public const string ValidLogins = "ValidLogins";
    public const string BannedLogins = "BannedLogins";
    public const string Administrators = "Administrators";
    public const string Wranglers = "Wranglers";
    public const string JobOwner = "JobOwner";

    /// <summary>Logins that may list and read (jobs, tasks, logs, why, trace) but never spool, act on a job or change the farm.</summary>
    public const string ReadOnlyLogins = "ReadOnlyLogins";

    /// <summary>When crews.config defines it, the only logins (with administrators) that may spool; undefined, every login may.</summary>
    public const string SpoolLogins = "SpoolLogins";

    /// <summary>
    /// Logins that see only their own jobs and jobs whose `-crews` names a crew they are in (<see cref="JobScope"/>);
    /// administrators, wranglers and read-only logins listed here still see every job.
    /// </summary>
    public const string RestrictedViewLogins = "RestrictedViewLogins";
    public const string DefaultPolicy = "defaultPolicy";

    /// <summary>Every operation a policy may name, by group (a policy key may be an operation or its group; "all" is every one).</summary>
    public static IReadOnlyDictionary<string, string[]> Groups { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["tasks"] = ["retry", "skip", "resume", "retryallerrs", "skipallerrs"],
        ["control"] = ["pause", "unpause", "interrupt", "kill", "restart", "delay", "undelay"],
        ["edit"] = ["chpri", "jattr", "tattr", "cattr", "chkeys"],
        ["locks"] = ["lock", "unlock"],
        ["deletion"] = ["delete", "undelete"],
    };

    /// <summary>The group every operation belongs to as well.</summary>
    public const string AllGroup = "all";

    /// <summary>Who may do an operation no policy names.</summary>
    public static IReadOnlyList<string> BuiltInGrant { get; } = [JobOwner, Wranglers, Administrators];

    // Tractor's crews.config keys that Furrow does not act on, with what to do instead.
    private static readonly Dictionary<string, string> KnownElsewhere = new(StringComparer.OrdinalIgnoreCase)
    {
        ["PasswordHashing"] = "Furrow hashes users.config passwords itself (PBKDF2), and a SitePasswordValidator gets the password as typed " +
            "(send it over TLS)",
    };

    /// <summary>Tractor's meta-name for every login the engine host's user database resolves (getpwnam(3): /etc/passwd, LDAP, NIS).</summary>
    public const string SysLogins = "@syslogins";

    /// <summary>Tractor's meta-name for every login the SitePasswordValidator decides (a name without a users.config account).</summary>
    public const string ExternLogins = "@externlogins";

    private static bool IsMetaName(string member) =>
        member.Equals(SysLogins, StringComparison.OrdinalIgnoreCase) || member.Equals(ExternLogins, StringComparison.OrdinalIgnoreCase);

    private readonly CrewsConfig _config;
    private readonly Dictionary<string, HashSet<string>> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _metaNames = new(StringComparer.Ordinal);
    private readonly LoginDirectory _directory;

    /// <summary>
    /// Rules from a crews.config already checked with <see cref="Check"/>; <paramref name="directory"/> answers for the
    /// meta-names @syslogins and @externlogins (without one they match nobody).
    /// </summary>
    public CrewRules(CrewsConfig config, LoginDirectory? directory = null)
    {
        _config = config;
        _directory = directory ?? LoginDirectory.Nobody;
        foreach (var crew in config.Crews.Keys)
        {
            var metaNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            _members[crew] = Expand(crew, [], metaNames);
            _metaNames[crew] = metaNames;
        }
    }

    /// <summary>The rules of a site without crews.config: owners act on their own jobs, administrators on every one.</summary>
    public static CrewRules None { get; } = new(new CrewsConfig());

    /// <summary>
    /// Null when <paramref name="config"/> is one the engine can act on completely; else what is wrong, naming the key:
    /// a top-level key other than Crews and JobEditAccessPolicies, Tractor's meta-names (@syslogins, @externlogins), a
    /// policy key that is neither an operation nor a group, a policy entry that is neither JobOwner nor a crew, a user in
    /// ReadOnlyLogins who is also in Administrators or Wranglers, or a SitePasswordValidator setting
    /// <see cref="PasswordValidatorSetting"/> refuses.
    /// </summary>
    public static string? Check(CrewsConfig config) => Problem(config)?.Message;

    /// <summary>What <see cref="Check"/> says, with the keys that lead to it in crews.config; null when nothing is wrong.</summary>
    public static ConfigProblem? Problem(CrewsConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (PasswordValidatorSetting.Problem(config) is { } validator)
            return ConfigProblem.Value(validator,
                config.SitePasswordValidatorTimeout is not null && validator.StartsWith(PasswordValidatorSetting.TimeoutKey, StringComparison.Ordinal)
                    ? PasswordValidatorSetting.TimeoutKey : PasswordValidatorSetting.Key);
        foreach (var key in config.Unknown?.Keys ?? Enumerable.Empty<string>())
            return ConfigProblem.Key(KnownElsewhere.TryGetValue(key, out var instead)
                ? $"{key} is not supported by Furrow: {instead}; remove it"
                : $"unknown key '{key}': crews.config holds Crews, JobEditAccessPolicies, {PasswordValidatorSetting.Key} and {PasswordValidatorSetting.TimeoutKey}", key);
        foreach (var (crew, members) in config.Crews)
        {
            for (var i = 0; i < members.Count; i++)
            {
                var member = members[i];
                var at = new[] { "Crews", crew, i.ToString(System.Globalization.CultureInfo.InvariantCulture) };
                if (member.Equals(ExternLogins, StringComparison.OrdinalIgnoreCase) && config.SitePasswordValidator is null)
                    return ConfigProblem.Value($"crew {crew}: {ExternLogins} lets crews.config's {PasswordValidatorSetting.Key} decide who is in it, and none is set", at);
                if (IsMetaName(member))
                    continue;
                if (!config.Crews.ContainsKey(member) && AccountName.Problem(member) is { } problem)
                    return ConfigProblem.Value($"crew {crew}: {problem}", at);
            }
        }
        // A read-only login that is also an administrator or a wrangler is a contradiction the engine would have to
        // settle silently one way or the other: the site says which it means instead.
        var rules = new CrewRules(config);
        foreach (var user in rules.MembersOf(ReadOnlyLogins).Order(StringComparer.Ordinal))
            foreach (var power in (string[])[Administrators, Wranglers])
                if (rules.IsMember(user, power))
                    return ConfigProblem.Key($"crew {ReadOnlyLogins}: {user} is also in {power}; a login is either read-only or may act, so remove it from one of them",
                        "Crews", ReadOnlyLogins);
        foreach (var (policy, grants) in config.JobEditAccessPolicies)
        {
            foreach (var (key, who) in grants)
            {
                if (key != AllGroup && !Groups.ContainsKey(key) && !Groups.Values.Any(g => g.Contains(key)))
                    return ConfigProblem.Key($"JobEditAccessPolicies {policy}: unknown operation '{key}'; a policy names operations " +
                        $"({string.Join(", ", Groups.Values.SelectMany(g => g))}) or groups of them ({string.Join(", ", Groups.Keys)}, {AllGroup})",
                        "JobEditAccessPolicies", policy, key);
                for (var i = 0; i < who.Count; i++)
                    if (who[i] != JobOwner && !config.Crews.ContainsKey(who[i]) && who[i] is not (Administrators or Wranglers or ValidLogins))
                        return ConfigProblem.Value($"JobEditAccessPolicies {policy}, {key}: '{who[i]}' is neither JobOwner nor a crew defined in Crews",
                            "JobEditAccessPolicies", policy, key, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return null;
    }

    /// <summary>
    /// Whether <paramref name="user"/> is a member of <paramref name="crew"/>: named in it, directly or through a crew it
    /// lists, or covered by a meta-name it lists (@syslogins: the engine host knows the account; @externlogins: the
    /// login is the SitePasswordValidator's to decide), as Tractor's crews.config reads.
    /// </summary>
    public bool IsMember(string user, string crew)
    {
        if (!_members.TryGetValue(crew, out var members))
            return false;
        if (members.Contains(user))
            return true;
        var metaNames = _metaNames[crew];
        return metaNames.Count > 0
            && ((metaNames.Contains(SysLogins) && _directory.IsSystemLogin(user)) || (metaNames.Contains(ExternLogins) && _directory.IsExternLogin(user)));
    }

    // Every user a crew names, directly or through the crews it lists (none for a crew not defined).
    private IReadOnlyCollection<string> MembersOf(string crew) => _members.TryGetValue(crew, out var members) ? members : [];

    /// <summary>Whether the caller has full access: an administrator by login, or a member of the Administrators crew.</summary>
    public bool IsAdministrator(AccessCaller caller) => caller.Administrator || IsMember(caller.Name, Administrators);

    /// <summary>
    /// Null when <paramref name="user"/> may log in and call; else why not, naming the rule: BannedLogins lists the
    /// user, or ValidLogins is defined and does not. A site without ValidLogins lets every account in.
    /// </summary>
    public string? LoginRefusal(string user)
    {
        if (IsMember(user, BannedLogins))
            return $"{user} is in crews.config's BannedLogins";
        if (_config.Crews.ContainsKey(ValidLogins) && !IsMember(user, ValidLogins))
            return $"{user} is not in crews.config's ValidLogins";
        return null;
    }

    /// <summary>
    /// Null when the caller may change the farm as a whole (<paramref name="action"/>: pause dispatch, nimby a blade,
    /// release a blade name, unblock a job's blades); else why not. That takes an administrator or a wrangler.
    /// </summary>
    public string? FarmRefusal(AccessCaller caller, string action) =>
        ReadOnlyRefusal(caller, action) ?? (IsAdministrator(caller) || IsMember(caller.Name, Wranglers)
            ? null
            : $"{caller.Name} may not {action}: that takes a member of crews.config's {Wranglers} or {Administrators} crew");

    /// <summary>
    /// Null when the caller is an administrator (by login, or in crews.config's Administrators crew); else why it may not
    /// <paramref name="action"/>, naming the crew (e.g. reloading the site's config).
    /// </summary>
    public string? AdministratorRefusal(AccessCaller caller, string action) =>
        IsAdministrator(caller) ? null : $"{caller.Name} may not {action}: that takes a member of crews.config's {Administrators} crew";

    /// <summary>
    /// Null unless the caller is in crews.config's ReadOnlyLogins (and no administrator by login); else why it may not
    /// <paramref name="action"/>, naming the crew. Read-only logins may list and read, and change nothing, not even their
    /// own jobs.
    /// </summary>
    public string? ReadOnlyRefusal(AccessCaller caller, string action) =>
        !IsAdministrator(caller) && IsMember(caller.Name, ReadOnlyLogins)
            ? $"{caller.Name} may not {action}: crews.config's {ReadOnlyLogins} lists them, and read-only logins may only list and read"
            : null;

    /// <summary>
    /// Null when the caller may spool a job; else why not, naming the crew: read-only logins never may, and when
    /// crews.config defines SpoolLogins only its members and administrators may. Without SpoolLogins every login may
    /// spool, as in Tractor. Work a job makes for itself (expand commands' output) is the job's own and asks no one.
    /// </summary>
    public string? SpoolRefusal(AccessCaller caller)
    {
        if (ReadOnlyRefusal(caller, "spool") is { } readOnly)
            return readOnly;
        if (_config.Crews.ContainsKey(SpoolLogins) && !IsAdministrator(caller) && !IsMember(caller.Name, SpoolLogins))
            return $"{caller.Name} may not spool: crews.config defines {SpoolLogins} and does not list them";
        return null;
    }

    /// <summary>
    /// The jobs the caller may see, or null for every job: only a member of crews.config's RestrictedViewLogins is held to
    /// its own jobs and those shared with its crews (<see cref="JobScope"/>), and not even one when it is also an
    /// administrator, a wrangler or a read-only login (auditors see everything they may not touch).
    /// </summary>
    public JobScope? ViewScope(AccessCaller caller)
    {
        if (!IsMember(caller.Name, RestrictedViewLogins) || IsAdministrator(caller) || IsMember(caller.Name, Wranglers)
            || IsMember(caller.Name, ReadOnlyLogins))
            return null;
        var crews = _members.Keys.Where(crew => IsMember(caller.Name, crew)).Order(StringComparer.Ordinal).ToList();
        return new JobScope(caller.Name, crews);
    }

    /// <summary>
    /// Null when <paramref name="caller"/> may run <paramref name="operation"/> on the job <paramref name="target"/>
    /// names; else why not, beginning with the target's name. A locked job is acted on by its lock's holder only
    /// (`unlock --force` by one the policy lets unlock breaks it); another user's job takes the policy's grant, and then
    /// <paramref name="force"/> as the caller's word that they mean it (tq's --force); the job's owner needs the grant
    /// (JobOwner) too. Administrators may do anything a lock does not forbid; read-only logins (ReadOnlyLogins) nothing.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="operation"/> is none of <see cref="Groups"/>' operations.</exception>
    public string? OperationRefusal(AccessCaller caller, string operation, JobAccessFacts job, bool force, string target)
    {
        var (who, policy) = Grant(operation, job.EditPolicy);
        if (ReadOnlyRefusal(caller, $"{operation} it") is { } readOnly)
            return $"{target}: {readOnly}";
        var granted = IsAdministrator(caller) || who.Any(name => name == JobOwner ? caller.Name == job.Owner : IsMember(caller.Name, name));
        var holder = job.LockedBy;
        if (holder is not null && holder != caller.Name && !(operation == "unlock" && force))
            return $"{target}: locked by {holder}; only {holder} may act on it until it is unlocked" + (operation == "unlock" ? " (--force breaks the lock)" : "");
        // The holder of a lock on another user's job may always take it off again.
        if (operation == "unlock" && holder == caller.Name)
            return null;
        if (!granted)
            return $"{target}: owned by {job.Owner}; {policy} lets only {string.Join(", ", who)} {operation} it" +
                (caller.Name == job.Owner ? "" : " (--force does not change that)");
        if (caller.Name != job.Owner && !force)
            return $"{target}: owned by {job.Owner}; use --force to act on other users' jobs";
        return null;
    }

    // Who may run the operation under the job's policy, and how to name where that came from.
    private (IReadOnlyList<string> Who, string Policy) Grant(string operation, string? editPolicy)
    {
        var group = Groups.FirstOrDefault(g => g.Value.Contains(operation)).Key
            ?? throw new ArgumentException($"unknown operation '{operation}'", nameof(operation));
        var policies = _config.JobEditAccessPolicies;
        if (editPolicy is { Length: > 0 } named && named != DefaultPolicy && policies.TryGetValue(named, out var own)
            && Lookup(own, operation, group) is { } fromOwn)
            return (fromOwn, $"crews.config's {named} policy");
        if (policies.TryGetValue(DefaultPolicy, out var fallback) && Lookup(fallback, operation, group) is { } fromDefault)
            return (fromDefault, editPolicy is { Length: > 0 } && editPolicy != DefaultPolicy && !policies.ContainsKey(editPolicy)
                ? $"crews.config's {DefaultPolicy} (the job's editpolicy {editPolicy} is not defined)"
                : $"crews.config's {DefaultPolicy}");
        return (BuiltInGrant, "Furrow's default policy");
    }

    private static List<string>? Lookup(Dictionary<string, List<string>> policy, string operation, string group) =>
        policy.TryGetValue(operation, out var who) || policy.TryGetValue(group, out who) || policy.TryGetValue(AllGroup, out who) ? who : null;

    // A crew's users: its members, with crews it names replaced by theirs; a crew met again on the way (a loop) adds nothing.
    private HashSet<string> Expand(string crew, HashSet<string> visiting, HashSet<string> metaNames)
    {
        var users = new HashSet<string>(StringComparer.Ordinal);
        if (!visiting.Add(crew) || !_config.Crews.TryGetValue(crew, out var members))
            return users;
        foreach (var member in members)
        {
            if (_config.Crews.ContainsKey(member))
                users.UnionWith(Expand(member, visiting, metaNames));
            else if (IsMetaName(member))
                metaNames.Add(member);
            else
                users.Add(member);
        }
        visiting.Remove(crew);
        return users;
    }
}

/// <summary>
/// Who a name is beyond crews.config's lists, for Tractor's meta-names: <see cref="IsSystemLogin"/> answers for
/// @syslogins (the engine host's user database resolves the name), <see cref="IsExternLogin"/> for @externlogins (the
/// name's logins are the SitePasswordValidator's to decide). The engine gives the real answers; <see cref="Nobody"/>
/// matches no one.
/// </summary>
public sealed record LoginDirectory(Func<string, bool> IsSystemLogin, Func<string, bool> IsExternLogin)
{
    /// <summary>A directory that knows nobody: meta-names match no one.</summary>
    public static LoginDirectory Nobody { get; } = new(_ => false, _ => false);
}
