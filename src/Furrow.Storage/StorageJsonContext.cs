using System.Text.Json.Serialization;

namespace Furrow.Storage;

/// <summary>Lists stored as JSON text columns (argv, instance references, retry codes).</summary>
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(List<int>))]
[JsonSerializable(typeof(int[]))]
[JsonSerializable(typeof(List<long>))]
[JsonSerializable(typeof(List<Furrow.Core.Scripts.DirMap>))]
internal sealed partial class StorageJsonContext : JsonSerializerContext;
