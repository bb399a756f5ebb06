using System.Globalization;
using System.Text;
using System.Text.Json;
using Furrow.Client;

namespace Furrow.Cli.Commands;

/// <summary>How tq shows one column: the name asked of the engine, the header, and how a value is written.</summary>
internal sealed record TqColumn(string Name, string Header, TqFormat Format = TqFormat.Plain);

/// <summary>Friendlier forms for tq's default listings; `-c` columns are always <see cref="Plain"/>, for scripts.</summary>
internal enum TqFormat
{
    Plain,
    Bytes,
    Seconds,
    Fixed2,
    Nimby,
    Words,
}

/// <summary>
/// tq's table and JSON output. Tables have a header (unless --nh), columns two spaces apart, and every control
/// character of a value written as an escape (`\n`, `\x1b`), so a title cannot move the cursor, ring the bell or rewrite
/// the line. On a terminal the widest columns are cut to fit its width; into a pipe nothing is cut. Times are written as
/// Tractor's clause language reads them back (`11/30|14:05:09`, local time; `01/15/2027|09:00:00` when not in the current
/// year); a missing value is `-` in `-c` listings, so
/// awk's fields stay in place, and empty in the default ones.
/// </summary>
internal static class TqTable
{
    public static void Print(ColumnTable table, IReadOnlyList<TqColumn> columns, bool header, bool chosen, TextWriter output)
    {
        var cells = table.Rows.Select(row => columns.Select((c, i) => Escape(Format(row[i], table.Columns[i].Type, c.Format, chosen))).ToArray()).ToList();
        var headers = columns.Select(c => Escape(c.Header)).ToArray();
        var widths = headers.Select((h, i) => Math.Max(header ? h.Length : 0, cells.Count == 0 ? 0 : cells.Max(r => r[i].Length))).ToArray();
        if (!Console.IsOutputRedirected && TerminalWidth() is { } terminal)
            Fit(widths, terminal);
        if (header)
            output.WriteLine(Line(headers, widths));
        foreach (var row in cells)
            output.WriteLine(Line(row, widths));
    }

    /// <summary>
    /// JSON: an array of objects keyed by the column names asked for. Times are local, as <c>2026-11-30 14:05:09+00:00</c>
    /// (the form Tractor's query API returns); lists are arrays; a missing value is null.
    /// </summary>
    public static void PrintJson(ColumnTable table, IReadOnlyList<TqColumn> columns, TextWriter output)
    {
        using var stream = new MemoryStream();
        // Titles and names are written as they are (é, ✓, +); the writer still escapes quotes and control characters.
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartArray();
            foreach (var row in table.Rows)
            {
                json.WriteStartObject();
                for (var i = 0; i < columns.Count; i++)
                {
                    json.WritePropertyName(columns[i].Name);
                    var value = row[i];
                    if (table.Columns[i].Type == "time" && value.ValueKind == JsonValueKind.Number)
                        json.WriteStringValue(JsonTime(value.GetInt64()));
                    else
                        value.WriteTo(json);
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        output.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>A value as text: times as <c>MM/DD|HH:MM:SS</c> local (with the year when not this year), booleans True/False as Tractor's tq, lists comma-joined.</summary>
    public static string Format(JsonElement value, string type, TqFormat format, bool chosen)
    {
        if (value.ValueKind == JsonValueKind.Null)
            return chosen ? "-" : "";
        switch (format)
        {
            case TqFormat.Bytes when value.ValueKind == JsonValueKind.Number:
                return Bytes(value.GetDouble());
            case TqFormat.Seconds when value.ValueKind == JsonValueKind.Number:
                return value.GetDouble().ToString("0.##", CultureInfo.InvariantCulture) + "s";
            case TqFormat.Fixed2 when value.ValueKind == JsonValueKind.Number:
                return value.GetDouble().ToString("0.##", CultureInfo.InvariantCulture);
            case TqFormat.Words when value.ValueKind == JsonValueKind.Array:
                return string.Join(' ', value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()));
            case TqFormat.Nimby:
                return value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } ? "nimby" : "";
        }
        return type switch
        {
            "time" when value.ValueKind == JsonValueKind.Number => TableTime(value.GetInt64()),
            "bool" => value.ValueKind == JsonValueKind.True ? "True" : "False",
            "float" when value.ValueKind == JsonValueKind.Number => value.GetDouble().ToString("0.######", CultureInfo.InvariantCulture),
            _ when value.ValueKind == JsonValueKind.Array => string.Join(',', value.EnumerateArray().Select(v => Format(v, "", TqFormat.Plain, chosen))),
            _ when value.ValueKind == JsonValueKind.String => value.GetString()!,
            _ => value.GetRawText(),
        };
    }

    /// <summary>User text made safe for the terminal (<see cref="Core.Text.TerminalText.Escape"/>).</summary>
    public static string Escape(string text) => Core.Text.TerminalText.Escape(text);

    // Binary units, as the query language reads them back (rss > 1G).
    private static string Bytes(double bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (1L << 30)).ToString("0.##", CultureInfo.InvariantCulture) + "G",
        >= 1L << 20 => (bytes / (1L << 20)).ToString("0.##", CultureInfo.InvariantCulture) + "M",
        >= 1L << 10 => (bytes / (1L << 10)).ToString("0.##", CultureInfo.InvariantCulture) + "K",
        _ => bytes.ToString("0", CultureInfo.InvariantCulture) + "B",
    };

    private static string TableTime(long ms) => TableTime(ms, DateTimeOffset.Now);

    /// <summary>
    /// A time as tq's tables show it, local: <c>MM/DD|HH:MM:SS</c> in the current year, as Tractor prints it, and
    /// <c>MM/DD/YYYY|HH:MM:SS</c> in any other (a job delayed past New Year, one spooled last December), which the clause
    /// language reads back just the same.
    /// </summary>
    internal static string TableTime(long ms, DateTimeOffset now)
    {
        var local = DateTimeOffset.FromUnixTimeMilliseconds(ms).ToLocalTime();
        return local.ToString(local.Year == now.ToLocalTime().Year ? "MM'/'dd'|'HH':'mm':'ss" : "MM'/'dd'/'yyyy'|'HH':'mm':'ss", CultureInfo.InvariantCulture);
    }

    private static string JsonTime(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).ToLocalTime().ToString("yyyy'-'MM'-'dd' 'HH':'mm':'sszzz", CultureInfo.InvariantCulture);

    private static int? TerminalWidth()
    {
        try
        {
            return Console.WindowWidth is > 20 and var width ? width : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    // Cuts the widest column by one until the row fits, each down to 8 characters at least.
    private static void Fit(int[] widths, int terminal)
    {
        while (widths.Sum() + 2 * (widths.Length - 1) > terminal)
        {
            var widest = Array.IndexOf(widths, widths.Max());
            if (widths[widest] <= 8)
                return;
            widths[widest]--;
        }
    }

    // The first `length` UTF-16 units, one fewer when the last would be half of a surrogate pair (an emoji).
    internal static string Cut(string text, int length) =>
        length > 0 && length < text.Length && char.IsHighSurrogate(text[length - 1]) ? text[..(length - 1)] : text[..length];

    private static string Line(string[] cells, int[] widths)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < cells.Length; i++)
        {
            var cell = cells[i].Length > widths[i] ? Cut(cells[i], Math.Max(0, widths[i] - 1)) + "…" : cells[i];
            sb.Append(cell);
            if (i < cells.Length - 1)
                sb.Append(' ', widths[i] - cell.Length + 2);
        }
        return sb.ToString().TrimEnd();
    }
}
