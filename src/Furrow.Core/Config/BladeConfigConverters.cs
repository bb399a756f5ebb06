using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Furrow.Core.Config;

/// <summary>
/// Reads a value Tractor allows as one string or a list of strings, such as <c>"Hosts": {"Name": "render*"}</c> or
/// <c>{"Name": ["render*", "10.0.0.*"]}</c>. Writes a list.
/// </summary>
public sealed class StringOrListConverter : JsonConverter<List<string>>
{
    public override List<string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return [reader.GetString()!];
            case JsonTokenType.StartArray:
                var items = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.String)
                        throw new JsonException($"expected a string in the list, found {Describe(reader.TokenType)}");
                    items.Add(reader.GetString()!);
                }

                return items;
            default:
                throw new JsonException($"expected a string or a list of strings, found {Describe(reader.TokenType)}");
        }
    }

    public override void Write(Utf8JsonWriter writer, List<string> value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var item in value)
            writer.WriteStringValue(item);
        writer.WriteEndArray();
    }

    internal static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "a list",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "true/false",
        JsonTokenType.Null => "null",
        _ => "a string",
    };
}

/// <summary>
/// Reads a profile's <c>NIMBY</c> setting, which Tractor allows as a number (<c>0</c> off, <c>1</c> only jobs spooled
/// from the blade's own host), true/false, or a user name (only that user's jobs), into its text form.
/// </summary>
public sealed class NimbyConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.True => "1",
        JsonTokenType.False => "0",
        JsonTokenType.Number when reader.TryGetInt64(out var number) => number.ToString(CultureInfo.InvariantCulture),
        _ => throw new JsonException($"expected 0, 1 or a user name, found {StringOrListConverter.Describe(reader.TokenType)}"),
    };

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        if (value is "0" or "1")
            writer.WriteNumberValue(value == "1" ? 1 : 0);
        else
            writer.WriteStringValue(value);
    }
}

/// <summary>
/// Reads <c>Capacity.MinDisk</c>, which Tractor allows as gigabytes (<c>20.0</c>) or as gigabytes and the drive to
/// check (<c>[20.0, "/scratch"]</c>).
/// </summary>
public sealed class MinDiskConverter : JsonConverter<MinDiskSetting>
{
    public override MinDiskSetting? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number:
                return new MinDiskSetting(reader.GetDouble(), null);
            case JsonTokenType.StartArray:
                if (!reader.Read() || reader.TokenType != JsonTokenType.Number)
                    throw new JsonException("expected [gigabytes, \"drive\"], with a number first");
                var gigabytes = reader.GetDouble();
                if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                    throw new JsonException("expected [gigabytes, \"drive\"], with the drive second");
                var drive = reader.GetString();
                if (!reader.Read() || reader.TokenType != JsonTokenType.EndArray)
                    throw new JsonException("expected [gigabytes, \"drive\"] with nothing after the drive");
                return new MinDiskSetting(gigabytes, drive);
            default:
                throw new JsonException($"expected gigabytes or [gigabytes, \"drive\"], found {StringOrListConverter.Describe(reader.TokenType)}");
        }
    }

    public override void Write(Utf8JsonWriter writer, MinDiskSetting value, JsonSerializerOptions options)
    {
        if (value.Drive is null)
        {
            writer.WriteNumberValue(value.Gigabytes);
            return;
        }

        writer.WriteStartArray();
        writer.WriteNumberValue(value.Gigabytes);
        writer.WriteStringValue(value.Drive);
        writer.WriteEndArray();
    }
}

/// <summary>A profile's free-disk floor: gigabytes, and the drive or mount to measure (null: the blade's default).</summary>
public sealed record MinDiskSetting(double Gigabytes, string? Drive);
