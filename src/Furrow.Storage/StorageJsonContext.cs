using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Furrow.Storage;

/// <summary>Lists stored as JSON text columns (argv, instance references, retry codes).</summary>
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(List<int>))]
[JsonSerializable(typeof(int[]))]
[JsonSerializable(typeof(List<long>))]
[JsonSerializable(typeof(List<Furrow.Core.Scripts.DirMap>))]
internal sealed partial class StorageJsonContext : JsonSerializerContext;

/// <summary>
/// Every JSON list column is written and read through here. Most commands have no tags, envkeys or retry codes, most
/// tasks are no instance and most jobs have no dirmaps, -afterjids or tags: the empty list is the literal <c>[]</c>
/// both ways, without the serializer.
/// </summary>
internal static class JsonColumns
{
    public static string Write<T>(IReadOnlyList<T> values, JsonTypeInfo<List<T>> type) =>
        values.Count == 0 ? "[]" : JsonSerializer.Serialize(values as List<T> ?? [.. values], type);

    public static IReadOnlyList<T> Read<T>(string json, JsonTypeInfo<List<T>> type) =>
        json == "[]" ? [] : JsonSerializer.Deserialize(json, type) ?? [];
}
