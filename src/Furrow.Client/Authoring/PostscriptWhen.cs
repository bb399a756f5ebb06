namespace Furrow.Client.Authoring;

/// <summary>When a job's postscript command runs (alfred's <c>-when</c>); Furrow runs only <see cref="Done"/> for now.</summary>
public enum PostscriptWhen
{
    /// <summary><c>-when done</c>: once every task of the job is done.</summary>
    Done,

    /// <summary><c>-when error</c>: once the job stops with a task in error. Refused by Furrow until it is supported.</summary>
    Error,

    /// <summary><c>-when always</c>: once the job stops either way. Refused by Furrow until it is supported.</summary>
    Always,
}
