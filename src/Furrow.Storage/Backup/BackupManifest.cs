using System.Text.Json.Serialization;

namespace Furrow.Storage.Backup;

/// <summary>What a backup archive holds and where it came from; checked before anything is restored.</summary>
public sealed record BackupManifest(
    string Format,
    string FurrowVersion,
    string Provider,
    int SchemaVersion,
    long LastJobId,
    DateTimeOffset CreatedAt,
    IReadOnlyList<BackupMember> Members)
{
    /// <summary>The only archive format this build reads and writes.</summary>
    public const string CurrentFormat = "furrow-backup-1";
}

/// <summary>One file in a backup archive, with its size and SHA-256.</summary>
public sealed record BackupMember(string Name, long Size, string Sha256);

// A manifest comes from a file anyone may have made or damaged: a missing or null field is an error, not a null.
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(BackupManifest))]
internal sealed partial class BackupJsonContext : JsonSerializerContext;
