using System.Text.Json;
using System.Text.Json.Serialization;

namespace Furrow.Client.Protocol;

/// <summary>Source-generated JSON for every message on the wire, so neither side reflects at run time.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BladeRegistration))]
[JsonSerializable(typeof(BladeWelcome))]
[JsonSerializable(typeof(WorkRequest))]
[JsonSerializable(typeof(WorkReply))]
[JsonSerializable(typeof(BladeReport))]
[JsonSerializable(typeof(ReportReply))]
[JsonSerializable(typeof(BladeHeartbeat))]
[JsonSerializable(typeof(BladeLeaving))]
[JsonSerializable(typeof(BladeLeft))]
[JsonSerializable(typeof(List<JobRow>))]
[JsonSerializable(typeof(List<TaskRow>))]
[JsonSerializable(typeof(List<CommandRow>))]
[JsonSerializable(typeof(List<InvocationRow>))]
[JsonSerializable(typeof(List<BladeRow>))]
[JsonSerializable(typeof(SpoolReply))]
[JsonSerializable(typeof(OperationReply))]
[JsonSerializable(typeof(ErrorReply))]
[JsonSerializable(typeof(EngineStatus))]
[JsonSerializable(typeof(FarmSummary))]
[JsonSerializable(typeof(ConfigReloadReply))]
[JsonSerializable(typeof(WhyReply))]
[JsonSerializable(typeof(List<WhyReply>))]
[JsonSerializable(typeof(List<BlocklistRow>))]
[JsonSerializable(typeof(TaskLogText))]
[JsonSerializable(typeof(AuthStatus))]
[JsonSerializable(typeof(LoginRequest))]
[JsonSerializable(typeof(LoginReply))]
[JsonSerializable(typeof(SignInLink))]
[JsonSerializable(typeof(Dictionary<string, SavedLogin>))]
public sealed partial class FurrowJsonContext : JsonSerializerContext;
