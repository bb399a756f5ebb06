namespace Furrow.Blade.Tests;

public sealed class UserAccountTests
{
    [Fact]
    public void Find_GivesAnAccountsIdsAndHome_AsThePasswordDatabaseHasThem()
    {
        var entry = File.ReadLines("/etc/passwd").Select(l => l.Split(':')).First(f => f[0] == "root");

        var root = UserAccount.Find("root");

        Assert.Equal(new UserAccount("root", uint.Parse(entry[2]), uint.Parse(entry[3]), entry[5]), root);
    }

    [Fact]
    public void Find_IsNull_ForANameTheHostHasNoAccountFor() => Assert.Null(UserAccount.Find("nosuchuser" + Guid.NewGuid().ToString("N")[..8]));

    [Fact]
    public void UserHomes_Of_IsAnAccountsHome_OrNullWhenUnknown()
    {
        Assert.Equal(UserAccount.Find("root")!.Home, UserHomes.Of("root"));
        Assert.Null(UserHomes.Of("nosuchuser" + Guid.NewGuid().ToString("N")[..8]));
    }
}
