using Microsoft.Extensions.Logging;

namespace Furrow.Engine.Blades;

/// <summary>Blade enrolment's log messages (3xxx blades; 32xx enrolment).</summary>
internal static partial class BladeKeyLog
{
    [LoggerMessage(3201, LogLevel.Information, "Blade enrolment secret made in {Path}: give it to blades with --enrolment-secret-file")]
    public static partial void SecretCreated(ILogger logger, string path);

    [LoggerMessage(3202, LogLevel.Information, "Blade {Blade} enrolled from {Address}: its name is bound to the key it was issued")]
    public static partial void Enrolled(ILogger logger, string blade, string? address);

    [LoggerMessage(3203, LogLevel.Warning, "Blade registration as {Blade} from {Address} refused ({Status}): {Reason}")]
    public static partial void Refused(ILogger logger, string blade, string? address, int status, string reason);

    [LoggerMessage(3204, LogLevel.Warning, "Blade name {Blade} released: the next blade showing the enrolment secret enrols under it")]
    public static partial void Released(ILogger logger, string blade);
}
