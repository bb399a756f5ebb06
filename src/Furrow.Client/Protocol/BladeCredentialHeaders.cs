namespace Furrow.Client.Protocol;

/// <summary>
/// The headers a blade proves itself with. Its own, not <c>Authorization</c>, which carries the user's credentials: a blade
/// call may carry both.
/// </summary>
public static class BladeCredentialHeaders
{
    /// <summary>The key the engine issued the blade at its enrolment: on every registration after it and on every agent call.</summary>
    public const string Key = "X-Furrow-Blade-Key";

    /// <summary>The site's enrolment secret, shown by a blade registering under a name not yet enrolled.</summary>
    public const string EnrolmentSecret = "X-Furrow-Enrolment-Secret";
}
