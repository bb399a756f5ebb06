namespace Furrow.Client.Tests;

public sealed class HostAccountTests
{
    [Fact]
    public void Find_GivesAnAccountsIdsAndHome_AsThePasswordDatabaseHasThem()
    {
        var entry = File.ReadLines("/etc/passwd").Select(l => l.Split(':')).First(f => f[0] == "root");

        var root = HostAccount.Find("root");

        Assert.Equal(new HostAccount("root", uint.Parse(entry[2]), uint.Parse(entry[3]), entry[5]), root);
    }

    [Fact]
    public void Find_IsNull_ForANameTheHostHasNoAccountFor() => Assert.Null(HostAccount.Find("nosuchuser" + Guid.NewGuid().ToString("N")[..8]));
}
