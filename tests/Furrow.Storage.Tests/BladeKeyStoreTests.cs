using Furrow.Storage.Migrations;

namespace Furrow.Storage.Tests;

/// <summary>Blade enrolment keys in the job database (schema version 14): bound once per name, released, and taken down and up.</summary>
public sealed class BladeKeyStoreTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task SetBladeKey_BindsTheNameOnce_AndDeleteBladeKeyReleasesIt()
    {
        await using var temp = new TempStore();
        var store = await temp.OpenMigratedAsync();
        Assert.Null(await store.GetBladeKeyHashAsync("rack1", None));

        await store.CommitAsync([new SetBladeKey("rack1", "aa11", 100)], None);
        // A second binding of a bound name changes nothing (and fails none of the writes batched with it).
        await store.CommitAsync([new SetBladeKey("rack1", "bb22", 200), new SetParam("other", "written")], None);

        Assert.Equal("aa11", await store.GetBladeKeyHashAsync("rack1", None));
        Assert.Equal("written", await store.GetParamAsync("other", None));
        Assert.Null(await store.GetBladeKeyHashAsync("rack2", None));

        await store.CommitAsync([new DeleteBladeKey("rack1")], None);
        Assert.Null(await store.GetBladeKeyHashAsync("rack1", None));
        await store.CommitAsync([new SetBladeKey("rack1", "cc33", 300)], None);
        Assert.Equal("cc33", await store.GetBladeKeyHashAsync("rack1", None));
    }

    [Fact]
    public async Task MigrateTo_BelowFourteen_DropsTheBindings_AndBackUpStartsEmpty()
    {
        await using var temp = new TempStore();
        var store = await temp.OpenMigratedAsync();
        await store.CommitAsync([new SetBladeKey("rack1", "aa11", 100)], None);

        Assert.Equal(12, await store.MigrateToAsync(12, None));
        Assert.Equal(12, await store.SchemaVersionAsync(None));
        Assert.Equal(MigrationCatalog.LatestVersion, await store.MigrateAsync(None));

        // Blades enrol again with the site's secret: an older engine kept no bindings to bring back.
        Assert.Null(await store.GetBladeKeyHashAsync("rack1", None));
    }
}
