namespace Furrow.Client;

/// <summary>Where an engine listens, from `--engine HOST:PORT`, else `$TRACTOR_ENGINE`, else `localhost:5600`.</summary>
public static class EngineAddress
{
    public const int DefaultPort = 5600;

    public static Uri Resolve(string? engine)
    {
        var text = string.IsNullOrWhiteSpace(engine) ? Environment.GetEnvironmentVariable("TRACTOR_ENGINE") : engine;
        if (string.IsNullOrWhiteSpace(text))
            text = $"localhost:{DefaultPort}";
        if (text.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            return new Uri(text.TrimEnd('/') + "/");
        var colon = text.LastIndexOf(':');
        var host = colon > 0 ? text[..colon] : text;
        var port = colon > 0 ? text[(colon + 1)..] : DefaultPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new Uri($"http://{host}:{port}/");
    }
}
