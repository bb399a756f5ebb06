using System.Globalization;
using System.Net;
using System.Text.Json;
using Furrow.Client;
using Furrow.Client.Protocol;

namespace Furrow.Client.Tests;

/// <summary>
/// Listings larger than a reply: the engine answers a page at a time and links to the next while rows remain, and the
/// client follows the links until it has the rows it was asked for.
/// </summary>
public sealed class EngineClientTests
{
    [Fact]
    public async Task TasksAsync_FollowsTheNextLinks_UntilTheEngineSaysNoneRemain()
    {
        var engine = new PagingEngine(rows: 25, largestPage: 10);
        using var client = new EngineClient("farm:5600", new HttpClient(engine));

        var tasks = await client.TasksAsync("jid=1", "ana", new ListOptions(SortBy: "tid"));

        Assert.Equal(Enumerable.Range(1, 25), tasks.Select(t => t.Tid));
        Assert.Equal(["limit=0 offset=0", "limit=0 offset=10", "limit=0 offset=20"], engine.Pages);
    }

    [Fact]
    public async Task JobsAsync_WithALimit_AsksOnlyForTheRowsStillWanted()
    {
        var engine = new PagingEngine(rows: 25, largestPage: 10);
        using var client = new EngineClient("farm:5600", new HttpClient(engine));

        var jobs = await client.JobsAsync(null, "ana", new ListOptions(Limit: 15, Offset: 2));

        Assert.Equal(Enumerable.Range(3, 15).Select(i => (long)i), jobs.Select(j => j.Jid));
        Assert.Equal(["limit=15 offset=2", "limit=5 offset=12"], engine.Pages);
    }

    [Fact]
    public async Task QueryColumnsAsync_FollowsTheNextLinks_AndKeepsTheFirstPagesColumns()
    {
        var engine = new PagingEngine(rows: 12, largestPage: 5);
        using var client = new EngineClient("farm:5600", new HttpClient(engine));

        var table = await client.QueryColumnsAsync("tasks", ["tid"], null, "ana", new ListOptions());

        Assert.Equal("tasks", table.Table);
        Assert.Equal([new ColumnInfo("tid", "int")], table.Columns);
        Assert.Equal(Enumerable.Range(1, 12), table.Rows.Select(r => r[0].GetInt32()));
        Assert.Equal(3, engine.Pages.Count);
    }

    /// <summary>
    /// Serves rows 1..<paramref name="rows"/> as the engine pages them: `limit` rows from `offset` (0: the largest page),
    /// never more than <paramref name="largestPage"/>, with a `Link: rel="next"` while rows remain.
    /// </summary>
    private sealed class PagingEngine(int rows, int largestPage) : HttpMessageHandler
    {
        public List<string> Pages { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var query = request.RequestUri!.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));
            var limit = int.Parse(query.GetValueOrDefault("limit", "0"), CultureInfo.InvariantCulture);
            var offset = int.Parse(query.GetValueOrDefault("offset", "0"), CultureInfo.InvariantCulture);
            Pages.Add($"limit={limit} offset={offset}");
            var size = limit == 0 ? largestPage : Math.Min(limit, largestPage);
            var ids = Enumerable.Range(offset + 1, Math.Max(0, Math.Min(size, rows - offset))).ToList();
            var path = request.RequestUri.AbsolutePath;
            var body = path switch
            {
                "/api/v1/jobs" => JsonSerializer.Serialize(
                    ids.Select(i => new JobRow(i, "ana", $"j{i}", 100, 0, false, false, 1, 0, 1, 0, 0, 0, null, null, null, null)).ToList(),
                    FurrowJsonContext.Default.ListJobRow),
                "/api/v1/tasks" => JsonSerializer.Serialize(
                    ids.Select(i => new TaskRow(1, i, "ana", $"t{i}", null, "ready", 0, 0, null, 0, false, null)).ToList(),
                    FurrowJsonContext.Default.ListTaskRow),
                _ => $$"""{"table":"tasks","columns":[{"name":"tid","type":"int"}],"rows":[{{string.Join(',', ids.Select(i => $"[{i}]"))}}],"next":null}""",
            };
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body) };
            if (offset + ids.Count < rows)
                response.Headers.Add("Link", $"<{path}?offset={offset + ids.Count}>; rel=\"next\"");
            return Task.FromResult(response);
        }
    }
}
