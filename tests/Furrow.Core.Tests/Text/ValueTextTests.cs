using Furrow.Core.Text;

namespace Furrow.Core.Tests.Text;

/// <summary>ValueText: the one strict reading of ids, whole numbers, decimals, switches and lists given as text.</summary>
public sealed class ValueTextTests
{
    [Theory]
    [InlineData("1", 1L)]
    [InlineData("0017", 17L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void IsId_TakesDigitsAboveZero(string text, long expected)
    {
        Assert.True(ValueText.IsId(text, out var id));
        Assert.Equal(expected, id);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0")]
    [InlineData(" 3")]
    [InlineData("3 ")]
    [InlineData("+3")]
    [InlineData("-3")]
    [InlineData("3\0")]
    [InlineData("1e2")]
    [InlineData("1,000")]
    [InlineData("٣")]
    [InlineData("9223372036854775808")]
    public void IsId_RefusesAnythingElse(string? text) => Assert.False(ValueText.IsId(text, out _));

    [Theory]
    [InlineData("0", 0)]
    [InlineData("7", 7)]
    [InlineData("2147483647", int.MaxValue)]
    public void IsWhole_TakesDigitsFromZero(string text, int expected)
    {
        Assert.True(ValueText.IsWhole(text, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" 3")]
    [InlineData("+1")]
    [InlineData("-1")]
    [InlineData("1.0")]
    [InlineData("2147483648")]
    public void IsWhole_RefusesAnythingElse(string text) => Assert.False(ValueText.IsWhole(text, out _));

    [Theory]
    [InlineData("253402300799999", true)]
    [InlineData("0", true)]
    [InlineData("-1", false)]
    [InlineData(" 1", false)]
    [InlineData("9223372036854775808", false)]
    public void IsWholeLong_TakesDigitsUpToLongMax(string text, bool expected) => Assert.Equal(expected, ValueText.IsWholeLong(text, out _));

    [Theory]
    [InlineData("5", 5.0)]
    [InlineData("-2.5", -2.5)]
    [InlineData(".5", 0.5)]
    [InlineData("5.", 5.0)]
    [InlineData("-0", 0.0)]
    public void IsDecimal_TakesPlainDecimals(string text, double expected)
    {
        Assert.True(ValueText.IsDecimal(text, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData(".")]
    [InlineData(" 5")]
    [InlineData("5 ")]
    [InlineData("+5")]
    [InlineData("1e2")]
    [InlineData("1.2.3")]
    [InlineData("--5")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1,5")]
    public void IsDecimal_RefusesAnythingElse(string text) => Assert.False(ValueText.IsDecimal(text, out _));

    [Theory]
    [InlineData(2.5, "2.5")]
    [InlineData(-3.0, "-3")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e-5, "0.00001")]
    [InlineData(-1.5e-7, "-0.00000015")]
    [InlineData(1e21, "1000000000000000000000")]
    public void Decimal_WritesWhatIsDecimalReadsBack(double value, string expected)
    {
        var text = ValueText.Decimal(value);

        Assert.Equal(expected, text);
        Assert.True(ValueText.IsDecimal(text, out var back));
        Assert.Equal(value, back);
    }

    [Fact]
    public void Decimal_OfAHugeNumber_IsPlainDigits()
    {
        var text = ValueText.Decimal(1e200);
        Assert.Matches("^[0-9]{200,201}$", text);
        Assert.True(ValueText.IsDecimal(text, out _));
        Assert.Equal("NaN", ValueText.Decimal(double.NaN));
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("TRUE", true)]
    [InlineData("Yes", true)]
    [InlineData("on", true)]
    [InlineData("0", false)]
    [InlineData("False", false)]
    [InlineData("no", false)]
    [InlineData("OFF", false)]
    [InlineData(" 1", null)]
    [InlineData("", null)]
    [InlineData("2", null)]
    [InlineData(null, null)]
    public void Switch_ReadsOneSetOfWordsInAnyCase(string? text, bool? expected) => Assert.Equal(expected, ValueText.Switch(text));

    [Theory]
    [InlineData("1,2", new[] { "1", "2" })]
    [InlineData("1 2\t3", new[] { "1", "2", "3" })]
    [InlineData(" 1 , 2 ", new[] { "1", "2" })]
    [InlineData("", new string[0])]
    [InlineData("  ", new string[0])]
    public void Items_SplitsAtCommasAndWhiteSpace(string text, string[] expected)
    {
        Assert.Equal(expected, ValueText.Items(text, out var problem));
        Assert.Null(problem);
    }

    [Theory]
    [InlineData("1,,2", "two commas")]
    [InlineData("1, ,2", "two commas")]
    [InlineData("1,", "ends with a comma")]
    [InlineData(",1", "starts with a comma")]
    [InlineData(",", "starts with a comma")]
    public void Items_RefusesAMissingItem(string text, string expected)
    {
        Assert.Null(ValueText.Items(text, out var problem));
        Assert.Contains(expected, problem);
    }
}
