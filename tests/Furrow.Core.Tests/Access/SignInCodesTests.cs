using Furrow.Core.Access;

namespace Furrow.Core.Tests.Access;

/// <summary>One-time sign-in codes: each works once, until it expires, and only so many are outstanding, the oldest dropped first.</summary>
public sealed class SignInCodesTests
{
    private static readonly SignInIdentity Ana = new("ana", false, "stamp-a");
    private const long Now = 1_800_000_000_000;

    [Fact]
    public void ACode_SignsInAsWhoAskedForIt_Once()
    {
        var codes = new SignInCodes();
        var (code, expires) = codes.Mint(Ana, Now);

        Assert.Matches("^[A-Za-z0-9_-]{43}$", code);
        Assert.Equal(Now + 5 * 60_000, expires);
        Assert.Equal(Ana, codes.Redeem(code, Now + 1));
        Assert.Null(codes.Redeem(code, Now + 2));
        Assert.Equal(0, codes.Count);
    }

    [Fact]
    public void ACode_WorksForFiveMinutes_AndNotAfter()
    {
        var codes = new SignInCodes();
        var (early, _) = codes.Mint(Ana, Now);
        var (late, expires) = codes.Mint(Ana, Now);

        Assert.Equal(Ana, codes.Redeem(early, expires - 1));
        Assert.Null(codes.Redeem(late, expires));
        // Expired, it is gone: it does not work even if the clock goes back.
        Assert.Null(codes.Redeem(late, Now));
    }

    [Fact]
    public void ExpiredCodes_AreForgotten_WhenTheNextIsMade()
    {
        var codes = new SignInCodes(lifetime: TimeSpan.FromMinutes(1));
        codes.Mint(Ana, Now);
        codes.Mint(Ana, Now + 10);
        Assert.Equal(2, codes.Count);

        codes.Mint(Ana, Now + 60_000 + 10);
        Assert.Equal(1, codes.Count);
    }

    [Fact]
    public void BeyondItsCapacity_TheOldestCodeIsDropped()
    {
        var codes = new SignInCodes(capacity: 3);
        var made = Enumerable.Range(0, 4).Select(i => codes.Mint(new SignInIdentity($"user{i}", i == 0, "s"), Now + i).Code).ToList();

        Assert.Equal(3, codes.Count);
        Assert.Null(codes.Redeem(made[0], Now + 10));
        Assert.Equal(["user1", "user2", "user3"], made.Skip(1).Select(c => codes.Redeem(c, Now + 10)!.User));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public void ACodeNeverMade_SignsNoOneIn(string? code)
    {
        var codes = new SignInCodes();
        codes.Mint(Ana, Now);
        Assert.Null(codes.Redeem(code, Now));
        Assert.Equal(1, codes.Count);
    }

    [Fact]
    public void EveryCode_IsDifferent()
    {
        var codes = new SignInCodes(capacity: 1000);
        var made = Enumerable.Range(0, 1000).Select(_ => codes.Mint(Ana, Now).Code).ToHashSet();
        Assert.Equal(1000, made.Count);
    }
}
