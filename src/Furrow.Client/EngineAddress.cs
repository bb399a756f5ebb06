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
    /// <exception cref="UriFormatException">The text is not a host, a host and a port (1 to 65535) or an http(s) URL; the
    /// message names the text and what was expected.</exception>
    public static Uri Resolve(string? engine)
    {
        var text = string.IsNullOrWhiteSpace(engine) ? Environment.GetEnvironmentVariable("TRACTOR_ENGINE") : engine;
        if (string.IsNullOrWhiteSpace(text))
            text = $"localhost:{DefaultPort}";
        var problem = new UriFormatException($"engine '{text}': expected HOST, HOST:PORT (a port from 1 to 65535) or an http:// URL");
        if (text.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            return Uri.TryCreate(text.TrimEnd('/') + "/", UriKind.Absolute, out var url) && url.AbsolutePath == "/" ? url : throw problem;
        var colon = text.LastIndexOf(':');
        var host = colon > 0 ? text[..colon] : text;
        var port = colon > 0 ? text[(colon + 1)..] : DefaultPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (colon == 0 || host.Any(c => char.IsWhiteSpace(c) || c is '/' or '?' or '#' or '@')
            || !int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535
            || !Uri.TryCreate($"http://{host}:{number}/", UriKind.Absolute, out var address))
            throw problem;
        return address;
    }
}
