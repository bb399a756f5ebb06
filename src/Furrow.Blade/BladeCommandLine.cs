using Furrow.Core.Text;
using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Furrow.Blade;

/// <summary>
/// The blade's command line, one definition for <c>furrow blade</c> and for the native <c>furrow-blade</c> that
/// <c>furrow blade</c> hands over to when it is installed beside it: the same options, defaults and messages either way.
/// </summary>
public static class BladeCommandLine
{
    /// <summary>`--engine HOST:PORT`, as every Furrow command takes it (default: $TRACTOR_ENGINE, else localhost:5600).</summary>
    public static Option<string?> EngineOption() => new("--engine")
    {
        Description = "engine HOST:PORT, or https://HOST:PORT for an engine serving TLS (default: $TRACTOR_ENGINE, else localhost:5600)",
        Recursive = true,
    };

    /// <summary>Adds the blade's options to <paramref name="command"/> and makes running a blade its action (exit 0, or 1 with a message).</summary>
    public static void Configure(Command command, Option<string?> engine, string commandName)
    {
        var name = new Option<string>("--name") { Description = "blade name (default: host name)", DefaultValueFactory = _ => Environment.MachineName };
        var slots = new Option<int>("--slots") { Description = "commands run at once (default: CPU count)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var drain = new Option<bool>("--drain")
        {
            Description = "on SIGTERM, let running commands finish before exiting (a second SIGTERM ends them); without it they are ended and requeued",
        };
        var stateDir = new Option<string?>("--state-dir")
        {
            Description = "where the blade keeps its journal of running commands and undelivered results (default: ~/.local/share/furrow/blades/NAME@ENGINE)",
        };
        var caFile = new Option<string?>("--ca-file")
        {
            Description = "CA certificate that an https engine's certificate must be issued by, such as its site's tls/site-ca.crt " +
                "(default: $FURROW_CA_FILE, else this host's trust store)",
        };
        var runAs = new Option<string?>(RunAsChoice.OptionName)
        {
            Description = $"whose account commands run as: owner (each job's owner; needs root) or blade (the blade's own user). " +
                $"Required for a blade run as root (default: ${RunAsChoice.EnvironmentVariable})",
            HelpName = "owner|blade",
        };
        var secretFile = new Option<string?>("--enrolment-secret-file")
        {
            Description = "the site's blade enrolment secret, shown once to enrol (default: $" + EnrolmentSecretSource.FileVariable +
                ", else the file the engine of --configdir keeps it in, when readable)",
        };
        var configDir = new Option<string>("--configdir")
        {
            Description = "site config directory, where a blade on the engine's host finds the enrolment secret (default: $FURROW_CONFIGDIR, else ./furrow-site)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FURROW_CONFIGDIR") is { Length: > 0 } dir ? dir : "furrow-site",
        };
        if (!command.Options.Contains(engine))
            command.Options.Add(engine);
        command.Options.Add(name);
        command.Options.Add(slots);
        command.Options.Add(drain);
        command.Options.Add(stateDir);
        command.Options.Add(caFile);
        command.Options.Add(runAs);
        command.Options.Add(secretFile);
        command.Options.Add(configDir);
        command.SetAction(async (result, ct) =>
        {
            var root = Environment.IsPrivilegedProcess;
            var (runAsSetting, refusal) = RunAsChoice.Decide(result.GetValue(runAs), Environment.GetEnvironmentVariable(RunAsChoice.EnvironmentVariable), root);
            if (runAsSetting is not { } commandsRunAs)
                return Fail(commandName, refusal!);
            using var logging = ConsoleLogging.Create();
            var options = new BladeOptions
            {
                Engine = result.GetValue(engine), Name = result.GetValue(name)!, Slots = Math.Max(1, result.GetValue(slots)),
                Drain = result.GetValue(drain), StateDirectory = result.GetValue(stateDir), CaFile = result.GetValue(caFile), RunAs = commandsRunAs,
                EnrolmentSecretFile = result.GetValue(secretFile), SiteConfigDirectory = result.GetValue(configDir),
            };
            RunAsChoice.Announce(logging.CreateLogger("Furrow.Blade"), commandsRunAs, root);
            BladeAgent agent;
            IDisposable stateLock;
            try
            {
                (agent, stateLock) = BladeAgent.Open(options, logging.CreateLogger("Furrow.Blade"));
            }
            catch (IOException error)
            {
                return Fail(commandName, error.Message);
            }
            using (stateLock)
            {
                // The blade winds down on SIGTERM and SIGINT itself (the caller turns off the parser's own 2 s handling
                // for it): a drain lasts as long as its commands do. Cancel keeps the runtime from ending the process.
                void Stop(PosixSignalContext context)
                {
                    context.Cancel = true;
                    agent.RequestStop();
                }
                using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
                using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
                try
                {
                    await agent.RunAsync(ct);
                }
                catch (KeeperUnavailableException error)
                {
                    return Fail(commandName, error.Message);
                }
                catch (BladeRefusedException error)
                {
                    return Fail(commandName, error.Message);
                }
            }
            return 0;
        });
    }

    private static int Fail(string command, string message)
    {
        Console.Error.WriteLine($"{command}: {message}");
        return 1;
    }
}

/// <summary>Console logging for the commands that run long (blade, up), in the engine's one-line format.</summary>
public static class ConsoleLogging
{
    /// <summary>A logger factory writing single lines, uncoloured (see <see cref="GuardConsole"/>).</summary>
    public static ILoggerFactory Create() => LoggerFactory.Create(b => b.AddSimpleConsole(o =>
    {
        o.SingleLine = true;
        o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
        o.ColorBehavior = Microsoft.Extensions.Logging.Console.LoggerColorBehavior.Disabled;
    }));

    /// <summary>
    /// Makes everything this process writes to its standard output and error terminal-safe: a job's title, an owner's
    /// name or a command's words in a log line reach the operator's terminal escaped (<see cref="TerminalText"/>), so
    /// a user who may spool cannot clear, recolour or rewrite the terminal of whoever runs the engine, blade or
    /// `furrow up`. Line ends pass. Called first by the long-running commands; logs are therefore written uncoloured.
    /// </summary>
    public static void GuardConsole()
    {
        Console.SetOut(TextWriter.Synchronized(new TerminalSafeWriter(Console.Out)));
        Console.SetError(TextWriter.Synchronized(new TerminalSafeWriter(Console.Error)));
    }

    // Passes text on with every character a terminal could obey escaped, line ends and tabs aside.
    private sealed class TerminalSafeWriter(TextWriter inner) : TextWriter
    {
        public override System.Text.Encoding Encoding => inner.Encoding;

        public override void Write(char value) => Write(value.ToString());

        // One escaping path for every write: a log line's newline and tabs pass, every other control or bidi character is shown escaped.
        public override void Write(string? value)
        {
            if (value is null)
                return;
            var sb = new System.Text.StringBuilder(value.Length);
            foreach (var c in value)
            {
                if (c is '\n' or '\t')
                    sb.Append(c);
                else
                    TerminalText.Append(sb, c);
            }
            inner.Write(sb.ToString());
        }

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        public override void Flush() => inner.Flush();
    }
}
