using Furrow.Client;

namespace Furrow.Blade.Tests;

public sealed class UserHomesTests
{
    [Fact]
    public void UserHomes_Of_IsAnAccountsHome_OrNullWhenUnknown()
    {
        Assert.Equal(HostAccount.Find("root")!.Home, UserHomes.Of("root"));
        Assert.Null(UserHomes.Of("nosuchuser" + Guid.NewGuid().ToString("N")[..8]));
    }
}
