using System.Text.Json;
using System.Text.Json.Serialization;
using Furrow.Core.Config;
using Furrow.Core.Scheduling;

namespace Furrow.Core.Tests.Scheduling;

internal static class SchedulingTestSupport
{
    /// <summary>A Linux render blade with plenty of room; tests change what they test with <c>with</c>.</summary>
    public static BladeTraits Blade(params string[] provides) =>
        new("render07", "10.0.0.7", "linux", new HashSet<string>(provides, StringComparer.Ordinal), 16, 32, 100, 2);

    public static ServiceKey Key(string text)
    {
        var result = ServiceKey.Parse(text);
        Assert.True(result.Success, $"expected '{text}' to parse, got: {result.Error?.Message}");
        return result.Key;
    }

    public static ServiceKeyError KeyError(string text)
    {
        var result = ServiceKey.Parse(text);
        Assert.False(result.Success, $"expected '{text}' to be refused, got: {result.Key?.Text}");
        return result.Error;
    }

    public static BladeConfig ReadBladeConfig(string json) =>
        JsonSerializer.Deserialize(json, SiteConfigTestJsonContext.Default.BladeConfig) ?? throw new InvalidOperationException("null config");

    public static LimitsConfig ReadLimitsConfig(string json) =>
        JsonSerializer.Deserialize(json, SiteConfigTestJsonContext.Default.LimitsConfig) ?? throw new InvalidOperationException("null config");
}

/// <summary>The same reading options the engine's site config loader uses, so the tests read files as the engine does.</summary>
[JsonSourceGenerationOptions(ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(BladeConfig))]
[JsonSerializable(typeof(LimitsConfig))]
internal sealed partial class SiteConfigTestJsonContext : JsonSerializerContext;
