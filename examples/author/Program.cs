// A frame-range render job built with Furrow's author API (Furrow.Client.Authoring): ten frames rendered (here:
// printed), a movie made once all are done, and a cleanup after everything.
//
//   dotnet run --project examples/author                          prints the job's alfred script
//   dotnet run --project examples/author -- --engine HOST:PORT    spools it to that engine and prints the job id
using Furrow.Client;
using Furrow.Client.Authoring;

string? engine = null;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--engine" && i + 1 < args.Length)
    {
        engine = args[++i];
    }
    else
    {
        Console.Error.WriteLine("usage: author [--engine HOST:PORT]");
        return 2;
    }
}

const int First = 1, Last = 10;
var job = new Job($"frames {First}-{Last} (authored in C#)")
{
    Priority = 100,
    Comment = "built by examples/author",

    // The frames first, then the movie: the job's top-level subtasks run in order.
    SerialSubtasks = true,
};

// One task per frame. Each argument is one Argv element, so the shell script needs no quoting of its own.
var render = new JobTask("Render frames");
render.Subtasks.Add(new Iterate(First, Last, frame => new JobTask($"Frame {frame}")
{
    Commands =
    {
        new Command("sh", "-c", "echo rendering frame \"$1\"; sleep 1; echo TR_PROGRESS 100%", "render", $"{frame}"),
    },
}));
job.Subtasks.Add(render);
job.Subtasks.Add(new JobTask("Make movie")
{
    Commands = { new Command("echo", $"frames {First}-{Last} rendered: making the movie") },
});

// Runs once every task is done, in a last task Furrow calls "job cleanup".
job.Cleanup.Add(new Command("echo", "cleaning up the frames' scratch files"));

try
{
    if (engine is null)
    {
        Console.Write(job.ToAlfred());
        return 0;
    }

    using var client = new EngineClient(engine);
    var jid = await job.SpoolAsync(client);
    Console.WriteLine(jid);
    return 0;
}
catch (InvalidJobException error)
{
    Console.Error.WriteLine($"author: the job is not valid: {error.Message}");
    return 1;
}
catch (EngineException error)
{
    Console.Error.WriteLine($"author: the engine refused the job: {error.Message}");
    return 1;
}
catch (HttpRequestException error)
{
    Console.Error.WriteLine($"author: cannot reach the engine at {engine}: {error.Message}");
    return 1;
}
