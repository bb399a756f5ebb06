namespace Furrow.Client;

/// <summary>Where an engine listens, from `--engine HOST:PORT`, else `$TRACTOR_ENGINE`, else `localhost:5600`.</summary>
public static class EngineAddress
{
    /// <summary>The port an engine listens on when none is given: 5600, Furrow's default (Tractor's engines default to 80).</summary>
    public const int DefaultPort = 5600;

    /// <summary>
    /// The engine's base URL (<c>http://host:port/</c>) from <paramref name="engine"/>: <c>HOST</c>, <c>HOST:PORT</c> or
    /// a full <c>http(s)://</c> URL; null or blank falls back to <c>$TRACTOR_ENGINE</c>, then <c>localhost:5600</c>, as
    /// Tractor's clients find their engine. The port defaults to <see cref="DefaultPort"/>.
    /// </summary>
    /// <exception cref="UriFormatException">The text does not make a valid URL.</exception>
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
