namespace Furrow.Core.Tests.Scripts;

/// <summary>The real job scripts copied into the test output, by name.</summary>
internal static class CorpusFiles
{
    public const string MalformedMayaMr = "utsdab__usr__MAYA_MR_v001.alf";
    public const string MalformedNukeService = "LRongeart__.nuke__working_format_test_INVALID_service_test.alf";

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Scripts", "Corpus");

    public static IEnumerable<string> All =>
        System.IO.Directory.EnumerateFiles(Directory, "*.alf").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    public static IEnumerable<string> WellFormed => All.Where(n => n is not MalformedMayaMr and not MalformedNukeService);

    public static string Read(string name) => File.ReadAllText(Path.Combine(Directory, name));

    public static TheoryData<string> WellFormedNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in WellFormed)
        {
            data.Add(name);
        }

        return data;
    }
}
