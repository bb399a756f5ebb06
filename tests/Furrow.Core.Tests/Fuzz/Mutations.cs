using System.Text;
using CsCheck;

namespace Furrow.Core.Tests.Fuzz;

/// <summary>
/// Inputs for fuzzing a parser: a well-formed seed changed by a few edits (spans cut, copied or repeated, pieces of the
/// language's own vocabulary put in, single characters replaced by syntax characters or by any UTF-16 unit, lone
/// surrogates and NUL included). Mutating real inputs reaches far deeper into a parser than random text does.
/// </summary>
internal static class Mutations
{
    private const string SyntaxChars = "{}[]()\"'\\$;#=<>!~&|*?.,:-+ \t\r\n\0";

    private static readonly Gen<char> Char = Gen.Frequency(
        (3, Gen.Int[0, SyntaxChars.Length - 1].Select(i => SyntaxChars[i])),
        (1, Gen.Char));

    private readonly record struct Edit(int Kind, double At, double To, int Piece, char Char);

    private static readonly Gen<Edit> OneEdit = Gen.Select(Gen.Int[0, 5], Gen.Double.Unit, Gen.Double.Unit, Gen.Int[0, int.MaxValue], Char,
        (kind, at, to, piece, c) => new Edit(kind, at, to, piece, c));

    /// <summary>A seed from <paramref name="seeds"/> with 1 to <paramref name="maxEdits"/> edits drawing on <paramref name="vocabulary"/>.</summary>
    public static Gen<string> Of(IReadOnlyList<string> seeds, IReadOnlyList<string> vocabulary, int maxEdits = 8) =>
        Gen.Select(Gen.Int[0, seeds.Count - 1], OneEdit.Array[1, maxEdits], (seed, edits) => Apply(seeds[seed], edits, vocabulary));

    /// <summary>The same for bytes: edits at byte level, so the text may stop being UTF-8.</summary>
    public static Gen<byte[]> OfBytes(IReadOnlyList<string> seeds, int maxEdits = 8) =>
        Gen.Select(Gen.Int[0, seeds.Count - 1], Gen.Select(Gen.Double.Unit, Gen.Byte).Array[1, maxEdits], (seed, edits) =>
        {
            var bytes = new List<byte>(Encoding.UTF8.GetBytes(seeds[seed]));
            foreach (var (at, value) in edits)
            {
                var i = (int)(at * bytes.Count);
                if (value % 3 == 0 && bytes.Count > 0)
                    bytes.RemoveAt(Math.Min(i, bytes.Count - 1));
                else if (value % 3 == 1)
                    bytes.Insert(i, value);
                else if (bytes.Count > 0)
                    bytes[Math.Min(i, bytes.Count - 1)] = value;
            }
            return bytes.ToArray();
        });

    private static string Apply(string seed, Edit[] edits, IReadOnlyList<string> vocabulary)
    {
        var text = new StringBuilder(seed);
        foreach (var edit in edits)
        {
            var at = (int)(edit.At * text.Length);
            var to = (int)(edit.To * text.Length);
            var (from, until) = at <= to ? (at, to) : (to, at);
            // Spans are kept short so a few edits cannot turn a small seed into megabytes.
            until = Math.Min(until, from + 64);
            switch (edit.Kind)
            {
                case 0:
                    text.Remove(from, until - from);
                    break;
                case 1:
                    text.Insert(at, vocabulary[edit.Piece % vocabulary.Count]);
                    break;
                case 2:
                    text.Insert(at, edit.Char);
                    break;
                case 3:
                    text.Insert(from, text.ToString(from, until - from));
                    break;
                case 4 when text.Length > 0:
                    text[Math.Min(at, text.Length - 1)] = edit.Char;
                    break;
                default:
                    text.Insert(to, text.ToString(Math.Min(at, text.Length), Math.Min(16, text.Length - Math.Min(at, text.Length))));
                    break;
            }
        }
        return text.ToString();
    }
}

/// <summary>
/// How long each fuzz target runs: <c>FURROW_FUZZ_SECONDS</c> (default 10), so CI spends a fixed budget and a longer
/// hunt is one variable away. A failure prints the input CsCheck shrank it to; each one found is kept as an
/// <c>InlineData</c> case of the target's regression theory.
/// </summary>
internal static class FuzzBudget
{
    public static int Seconds =>
        int.TryParse(Environment.GetEnvironmentVariable("FURROW_FUZZ_SECONDS"), out var seconds) && seconds > 0 ? seconds : 10;

}
