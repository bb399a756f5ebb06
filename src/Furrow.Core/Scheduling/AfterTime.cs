using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Furrow.Core.Scheduling;

/// <summary>
/// A job's <c>-after</c> start time, read in the site's time zone.
/// </summary>
/// <remarks>
/// <para>Tractor's job scripting operators document two forms: <c>{month day hour:minute}</c> (24-hour clock, e.g.
/// <c>{6 23 13:45}</c>; Tractor's Python author API writes <c>%m %d %H:%M</c>) and <c>{hour:minute}</c> for "times later
/// on the same day (up until midnight)". Furrow also accepts <c>{month day}</c> (midnight), <c>month/day hour:minute</c>
/// (the form RenderMan's spool panels show), and <c>yyyy-MM-dd[ HH:mm[:ss]]</c> (a <c>T</c> may separate date and
/// time). Seconds are optional in every form.</para>
/// <para>Where the documentation is silent, Furrow decides: <c>{hour:minute}</c> is always today, as the documentation's
/// "same day, up until midnight" reads, so a time already past releases the job at once; a date without a year is in
/// the current year even when that month and day have passed, so it too releases at once rather than waiting a
/// year. A wall-clock time that daylight saving skips is read with the offset in force before the jump (02:30 on a
/// spring-forward night starts at 03:30); one that occurs twice is the first occurrence.</para>
/// </remarks>
public static class AfterTime
{
    private const string Forms =
        "'month day hour:minute' (e.g. '6 23 13:45'), 'hour:minute', 'month day', 'month/day hour:minute' or 'yyyy-MM-dd HH:mm[:ss]'";

    /// <summary>
    /// Reads <paramref name="text"/> relative to <paramref name="now"/> in <paramref name="zone"/>. Null, empty or blank
    /// text means no start time (<see cref="AfterTimeResult.When"/> is null and there is no error).
    /// </summary>
    public static AfterTimeResult Parse(string? text, DateTimeOffset now, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (string.IsNullOrWhiteSpace(text))
            return AfterTimeResult.NoStartTime;

        var body = text.Trim().Trim('"').Trim();
        var today = TimeZoneInfo.ConvertTime(now, zone).Date;
        var error = TryRead(body, today, out var wall);
        return error is null
            ? AfterTimeResult.At(ToInstant(wall, zone))
            : AfterTimeResult.Failed($"-after '{text.Trim()}': {error}");
    }

    /// <summary>Reads the wall-clock time, or returns what is wrong with the text.</summary>
    private static string? TryRead(string body, DateTime today, out DateTime wall)
    {
        wall = default;
        var words = body.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 1 && words[0].Contains('T', StringComparison.Ordinal) && words[0].Contains('-', StringComparison.Ordinal))
            words = words[0].Split('T');

        int year = today.Year, month, day;
        TimeSpan clock = TimeSpan.Zero;
        string? error;
        switch (words.Length)
        {
            case 1 when words[0].Contains(':', StringComparison.Ordinal):
                (month, day) = (today.Month, today.Day);
                error = TryClock(words[0], out clock);
                break;
            case 1 when words[0].Contains('-', StringComparison.Ordinal):
                error = TryIsoDate(words[0], out year, out month, out day);
                break;
            case 2 when words[0].Contains('-', StringComparison.Ordinal):
                error = TryIsoDate(words[0], out year, out month, out day) ?? TryClock(words[1], out clock);
                break;
            case 2 when words[0].Contains('/', StringComparison.Ordinal):
                error = TrySlashDate(words[0], out month, out day) ?? TryClock(words[1], out clock);
                break;
            case 2:
                error = TryMonthDay(words[0], words[1], out month, out day);
                break;
            case 3:
                error = TryMonthDay(words[0], words[1], out month, out day) ?? TryClock(words[2], out clock);
                break;
            default:
                return $"expected {Forms}";
        }

        if (error is not null)
            return error;
        if (day > DateTime.DaysInMonth(year, month))
            return $"day {day} is out of range for month {month} of {year} (1-{DateTime.DaysInMonth(year, month)})";
        wall = new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Unspecified) + clock;
        return null;
    }

    private static string? TryMonthDay(string monthText, string dayText, out int month, out int day)
    {
        day = 0;
        return TryNumber(monthText, "month", 1, 12, out month) ?? TryNumber(dayText, "day", 1, 31, out day);
    }

    private static string? TrySlashDate(string text, out int month, out int day)
    {
        var parts = text.Split('/');
        (month, day) = (0, 0);
        return parts.Length == 2 ? TryMonthDay(parts[0], parts[1], out month, out day) : $"expected {Forms}";
    }

    private static string? TryIsoDate(string text, out int year, out int month, out int day)
    {
        var parts = text.Split('-');
        (year, month, day) = (0, 0, 0);
        if (parts.Length != 3 || parts[0].Length != 4)
            return $"expected {Forms}";
        return TryNumber(parts[0], "year", 1, 9999, out year)
            ?? TryNumber(parts[1], "month", 1, 12, out month)
            ?? TryNumber(parts[2], "day", 1, 31, out day);
    }

    private static string? TryClock(string text, out TimeSpan clock)
    {
        clock = TimeSpan.Zero;
        var parts = text.Split(':');
        if (parts.Length is < 2 or > 3)
            return $"expected {Forms}";
        var second = 0;
        var error = TryNumber(parts[0], "hour", 0, 23, out var hour);
        var minute = 0;
        error ??= TryNumber(parts[1], "minute", 0, 59, out minute);
        if (error is null && parts.Length == 3)
            error = TryNumber(parts[2], "second", 0, 59, out second);
        if (error is null)
            clock = new TimeSpan(hour, minute, second);
        return error;
    }

    private static string? TryNumber(string text, string what, int min, int max, out int value)
    {
        value = 0;
        if (text.Length is 0 or > 4 || !text.All(char.IsAsciiDigit))
            return $"expected {Forms}";
        value = int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
        return value < min || value > max ? $"{what} {value} is out of range ({min}-{max})" : null;
    }

    private static DateTimeOffset ToInstant(DateTime wall, TimeZoneInfo zone)
    {
        if (zone.IsInvalidTime(wall))
        {
            // Skipped by a spring-forward jump: use the offset in force just before it.
            var before = zone.GetUtcOffset(wall.AddHours(-3));
            return new DateTimeOffset(wall - before, TimeSpan.Zero).ToOffset(zone.GetUtcOffset(wall.AddHours(3)));
        }

        var offset = zone.IsAmbiguousTime(wall) ? zone.GetAmbiguousTimeOffsets(wall).Max() : zone.GetUtcOffset(wall);
        return new DateTimeOffset(wall, offset);
    }
}

/// <summary>Outcome of <see cref="AfterTime.Parse"/>: a start time, no start time, or an error.</summary>
public sealed class AfterTimeResult
{
    private AfterTimeResult(DateTimeOffset? when, string? error)
    {
        When = when;
        Error = error;
    }

    /// <summary>The text was empty: the job may start at once.</summary>
    public static AfterTimeResult NoStartTime { get; } = new(null, null);

    /// <summary>When the job may start; null when no start time was given or the text was refused.</summary>
    public DateTimeOffset? When { get; }

    /// <summary>Why the text was refused, naming it and the accepted forms; null on success.</summary>
    public string? Error { get; }

    [MemberNotNullWhen(false, nameof(Error))]
    public bool Success => Error is null;

    internal static AfterTimeResult At(DateTimeOffset when) => new(when, null);

    internal static AfterTimeResult Failed(string error) => new(null, error);
}
