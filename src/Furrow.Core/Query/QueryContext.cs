namespace Furrow.Core.Query;

/// <summary>What a clause needs from its caller: who "mine" is, the moment relative times count from, and the local zone.</summary>
public sealed record QueryContext
{
    public QueryContext(string currentUser, DateTimeOffset now, TimeZoneInfo? timeZone = null)
    {
        CurrentUser = currentUser;
        Now = now;
        TimeZone = timeZone ?? TimeZoneInfo.Utc;
    }

    public string CurrentUser { get; init; }

    public DateTimeOffset Now { get; init; }

    /// <summary>Zone that wall-clock values such as `10am` or `3/15` are read in.</summary>
    public TimeZoneInfo TimeZone { get; init; }

    /// <summary>
    /// Extra alias words, each expanding to a clause; the wire format sends these as a dict (e.g. `mine` → `owner=bob`).
    /// They take precedence over the built-in words.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Aliases { get; init; }
}
