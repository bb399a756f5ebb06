using Furrow.Core.Jobs;
using Furrow.Core.Query;

namespace Furrow.Core.Tests.Jobs;

/// <summary>What tq jattr, tattr, cattr and chkeys may set, and how each value is read or refused.</summary>
public sealed class AttributeEditTests
{
    [Theory]
    [InlineData(QueryTable.Jobs, "title", "a\0b")]
    [InlineData(QueryTable.Jobs, "comment", "\0")]
    [InlineData(QueryTable.Jobs, "projects", "fx,li\0ghting")]
    [InlineData(QueryTable.Commands, "tags", "a\0")]
    public void Parse_RefusesANulCharacter_InAnyValue(QueryTable table, string key, string value)
    {
        Assert.Null(AttributeEdit.Parse(table, key, value, out var error));
        Assert.Contains("may not contain a NUL character", error);
    }

    [Theory]
    [InlineData(QueryTable.Jobs, "PRI", "7.5", "priority", "7.5")]
    [InlineData(QueryTable.Jobs, "maxactive", "0", "maxactive", "0")]
    [InlineData(QueryTable.Jobs, "aftertime", "1700000000", "aftertime", "1700000000000")]
    [InlineData(QueryTable.Jobs, "paused", "yes", "paused", "True")]
    [InlineData(QueryTable.Jobs, "projects", "fx, lighting fx", "projects", "fx|lighting")]
    [InlineData(QueryTable.Jobs, "afterjids", "12,13 12", "afterjids", "12|13")]
    [InlineData(QueryTable.Jobs, "crews", "fx,lighting fx", "crews", "fx|lighting")]
    [InlineData(QueryTable.Jobs, "comment", "", "comment", "")]
    [InlineData(QueryTable.Tasks, "title", " spaced ", "title", " spaced ")]
    [InlineData(QueryTable.Commands, "retryrc", "-1,3", "retryrcodes", "-1|3")]
    [InlineData(QueryTable.Commands, "atleast", "2", "minslots", "2")]
    [InlineData(QueryTable.Commands, "service", "linux && !gpu", "service", "linux && !gpu")]
    [InlineData(QueryTable.Commands, "envkey", "", "envkey", "")]
    public void Parse_ReadsEachKindOfValue_UnderTheColumnsCanonicalName(QueryTable table, string key, string value, string canonical, string expected)
    {
        var edit = AttributeEdit.Parse(table, key, value, out var error);

        Assert.Null(error);
        Assert.NotNull(edit);
        Assert.Equal(canonical, edit.Key);
        var shown = edit.Text ?? edit.Number?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? edit.Flag?.ToString()
            ?? (edit.Words is { } words ? string.Join('|', words) : string.Join('|', edit.Ids!));
        Assert.Equal(expected, shown);
    }

    [Theory]
    [InlineData(QueryTable.Jobs, "etalevel", "2", "not recorded by Furrow: etalevel")]
    [InlineData(QueryTable.Jobs, "metadata", "a", "a job's metadata cannot be changed")]
    [InlineData(QueryTable.Jobs, "tags", "a", "tq cattr -k tags")]
    [InlineData(QueryTable.Jobs, "envkey", "a", "tq cattr -k envkey")]
    [InlineData(QueryTable.Jobs, "user", "bob", "a job's owner cannot be changed")]
    [InlineData(QueryTable.Jobs, "titel", "x", "unknown job attribute 'titel' (did you mean 'title'?)")]
    [InlineData(QueryTable.Jobs, "title", "", "title: the title is empty")]
    [InlineData(QueryTable.Jobs, "title", " ", "title: the title is blank")]
    [InlineData(QueryTable.Jobs, "projects", "a,,b", "projects: expected names separated by commas or spaces, got 'a,,b': it has two commas")]
    [InlineData(QueryTable.Jobs, "crews", "x,", "it ends with a comma")]
    [InlineData(QueryTable.Jobs, "priority", "NaN", "priority 'NaN' is not a number")]
    [InlineData(QueryTable.Jobs, "priority", " 7.5 ", "priority ' 7.5 ' is not a number")]
    [InlineData(QueryTable.Jobs, "maxactive", " 3", "got ' 3'")]
    [InlineData(QueryTable.Jobs, "maxactive", "+3", "got '+3'")]
    [InlineData(QueryTable.Jobs, "afterjids", "1,,2", "two commas with nothing between them")]
    [InlineData(QueryTable.Jobs, "afterjids", "1,", "ends with a comma")]
    [InlineData(QueryTable.Jobs, "priority", "1e999", "expected a number from -1000000 to 1000000")]
    [InlineData(QueryTable.Jobs, "priority", "1e308", "priority '1e308' is not a number")]
    [InlineData(QueryTable.Jobs, "priority", "2000000", "priority 2000000 is out of range: expected a number from -1000000 to 1000000")]
    [InlineData(QueryTable.Jobs, "priority", "-1000000.5", "out of range")]
    [InlineData(QueryTable.Jobs, "priority", "high", "priority 'high' is not a number")]
    [InlineData(QueryTable.Jobs, "maxactive", "-2", "at least 0")]
    [InlineData(QueryTable.Jobs, "aftertime", "-5", "Unix seconds")]
    [InlineData(QueryTable.Jobs, "aftertime", "99999999999999", "Unix seconds")]
    [InlineData(QueryTable.Jobs, "paused", "maybe", "expected one of 1, 0, true, false, yes, no, on or off")]
    [InlineData(QueryTable.Jobs, "afterjids", "0", "'0'")]
    [InlineData(QueryTable.Jobs, "tier", " ", "expected a tier name")]
    [InlineData(QueryTable.Tasks, "state", "done", "a task's state cannot be changed")]
    [InlineData(QueryTable.Commands, "argv", "rm -rf /", "a command's argv cannot be changed")]
    [InlineData(QueryTable.Commands, "service", "Maya &&", "service key")]
    [InlineData(QueryTable.Commands, "service", "", "service key")]
    [InlineData(QueryTable.Commands, "minslots", "0", "at least 1")]
    [InlineData(QueryTable.Commands, "retryrc", "1,99999999999", "'99999999999'")]
    [InlineData(QueryTable.Blades, "nimby", "1", "blades have no attributes that can be set")]
    public void Parse_RefusesWhatCannotBeSet_SayingWhy(QueryTable table, string key, string value, string expected)
    {
        var edit = AttributeEdit.Parse(table, key, value, out var error);

        Assert.Null(edit);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Parse_RefusesATitleOrCommentLongerThanItsLimit()
    {
        Assert.Null(AttributeEdit.Parse(QueryTable.Jobs, "title", new string('t', AttributeEdit.MaxTitleLength + 1), out _));
        Assert.NotNull(AttributeEdit.Parse(QueryTable.Jobs, "title", new string('t', AttributeEdit.MaxTitleLength), out _));
        Assert.Null(AttributeEdit.Parse(QueryTable.Jobs, "comment", new string('c', AttributeEdit.MaxCommentLength + 1), out var error));
        Assert.Contains("at most 65536", error);
    }
}
