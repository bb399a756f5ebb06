using Furrow.Keeper;

// furrow-keeper STATE_DIR: started by a blade (never by hand), it prints "ready" once it listens, or "busy" when another
// keeper serves that directory, then serves until idle (CommandKeeper).
if (args.Length != 1 || !OperatingSystem.IsLinux())
{
    Console.Error.WriteLine("usage: furrow-keeper STATE_DIR (started by furrow blade, on Linux)");
    return 2;
}
return new CommandKeeper(args[0]).Run(Console.Out);
