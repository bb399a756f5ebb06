using System.Text.Json;
using Furrow.Client.Protocol;
using Furrow.Engine.Api;
using Furrow.Integration.Tests.Support;

namespace Furrow.Integration.Tests;

/// <summary>
/// Every listing comes a page at a time: `limit` and `offset` cut it, a reply says when more rows follow (a Link
/// rel="next" header, and `next` in a column query's reply) and where, and the pages, followed to the end, are the whole
/// listing with no row twice. No blade runs, so the rows hold still between pages.
/// </summary>
public sealed class ListPageTests : IAsyncLifetime
{
    private readonly TestSite _site = new();
    private readonly HttpClient _http = new();
    private long _jid;

    public async Task InitializeAsync()
    {
        await _site.StartEngineAsync();
        _http.BaseAddress = new Uri($"http://{_site.Engine}/");
        _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await _site.AdminTokenAsync());
        _jid = await _site.SpoolAsync("Job -title {pages} -subtasks {" +
            string.Concat(Enumerable.Range(1, 25).Select(i => $" Task {{t{i}}} -cmds {{ RemoteCmd {{echo {i}}} }};")) + " }", "ana");
        for (var i = 0; i < 4; i++)
            await _site.SpoolAsync($"Job -title {{other {i}}} -subtasks {{ Task {{t}} -cmds {{ RemoteCmd {{echo}} }} }}", "bob");
        // Blades known to the engine without running anything: registered through the API, they never ask for work.
        for (var i = 0; i < 3; i++)
            await _site.Client.RegisterBladeAsync(new BladeRegistration($"page-blade-{i}", "localhost", 1, "0.1.0", $"boot-{i}", 1));
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _site.DisposeAsync();
    }

    [Theory]
    [InlineData("api/v1/jobs?sortby=jid", 2)]
    [InlineData("api/v1/tasks?q=jid%3D{jid}&sortby=tid", 10)]
    [InlineData("api/v1/commands?sortby=jid,cid", 7)]
    [InlineData("api/v1/blades?sortby=name", 2)]
    public async Task PagesOfAListing_AreDisjoint_AndTogetherTheWholeListing(string listing, int pageSize)
    {
        var url = listing.Replace("{jid}", _jid.ToString(), StringComparison.Ordinal);
        var whole = await RowsAsync(await GetAsync($"{url}&limit=0"));
        Assert.True(whole.Count > pageSize, $"{url}: {whole.Count} rows");

        var pages = new List<List<string>>();
        string? next = $"{url}&limit={pageSize}";
        while (next is not null)
        {
            using var response = await GetAsync(next);
            pages.Add(await RowsAsync(response));
            next = NextLink(response);
        }

        Assert.All(pages[..^1], page => Assert.Equal(pageSize, page.Count));
        Assert.InRange(pages[^1].Count, 1, pageSize);
        Assert.Equal(whole, pages.SelectMany(p => p));
        Assert.Equal(whole.Count, pages.SelectMany(p => p).Distinct().Count());
    }

    [Fact]
    public async Task AColumnQuery_NamesItsNextPage_InItsReplyAndInALinkHeader_AndNullAfterTheLast()
    {
        var next = $"api/v1/query/tasks?cols=jid,tid&q=jid%3D{_jid}&sortby=tid&limit=10";
        var tids = new List<int>();
        var pages = 0;
        while (next is not null)
        {
            using var response = await GetAsync(next);
            using var reply = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            tids.AddRange(reply.RootElement.GetProperty("rows").EnumerateArray().Select(r => r[1].GetInt32()));
            next = reply.RootElement.GetProperty("next").GetString();
            Assert.Equal(next, NextLink(response));
            pages++;
        }

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(1, 25), tids);
    }

    [Fact]
    public async Task TheClient_ReadsEveryRow_AndAnOffsetPastTheEnd_IsAnEmptyLastPage()
    {
        Assert.Equal(25, (await _site.Client.TasksAsync($"jid={_jid}")).Count);
        Assert.Equal(5, (await _site.Client.JobsAsync(null, "ana", new Furrow.Client.ListOptions(Limit: 5))).Count);

        using var response = await GetAsync($"api/v1/tasks?q=jid%3D{_jid}&offset=25");
        Assert.Empty(await RowsAsync(response));
        Assert.Null(NextLink(response));
    }

    [Fact]
    public void APageHoldsTenThousandRows_UnlessAskedForMore_UpToAHundredThousand()
    {
        Assert.Equal(10_000, ListPage.SizeFor(null));
        Assert.Equal(100_000, ListPage.SizeFor(0));
        Assert.Equal(7, ListPage.SizeFor(7));
        Assert.Equal(100_000, ListPage.SizeFor(5_000_000));
    }

    private async Task<HttpResponseMessage> GetAsync(string url)
    {
        var response = await _http.GetAsync(url.TrimStart('/'));
        Assert.True(response.IsSuccessStatusCode, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response;
    }

    private static async Task<List<string>> RowsAsync(HttpResponseMessage response)
    {
        using var rows = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return rows.RootElement.EnumerateArray().Select(r => r.GetRawText()).ToList();
    }

    // The URL of `Link: <URL>; rel="next"`, or null when the reply has none.
    private static string? NextLink(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Link", out var links)
            ? links.Where(l => l.EndsWith("rel=\"next\"", StringComparison.Ordinal)).Select(l => l[(l.IndexOf('<') + 1)..l.IndexOf('>')]).SingleOrDefault()
            : null;
}
