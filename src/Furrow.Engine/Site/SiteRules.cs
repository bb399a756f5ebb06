using Furrow.Core.Config;

namespace Furrow.Engine.Site;

/// <summary>
/// The site files the scheduler works by: limits.config and blade.config as the engine read them last (at start, or at
/// a config reload), each null when the site has none. <see cref="Farm.LiveFarm.Rules"/> is the one current value;
/// a reload swaps it whole, under the farm's lock. <see cref="LimitsFingerprint"/> says which limits.config text
/// <see cref="Limits"/> came from (<see cref="SiteConfigLoader.Fingerprint"/>; null when not known), so a reload that
/// leaves the file as it was does not make every loaded command's classes again.
/// </summary>
internal sealed record SiteRules(LimitsConfig? Limits, BladeConfig? Blades, string? LimitsFingerprint = null);
