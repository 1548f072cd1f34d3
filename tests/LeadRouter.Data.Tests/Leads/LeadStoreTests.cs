using LeadRouter.Data.Leads;
using LeadRouter.Data.Leads.Intake;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Data.Tests.Leads;

/// <summary>The lead store's reserved-id path (intake: decide first, store once) on a real database; one subclass per provider.</summary>
public abstract class LeadStoreTests<TDatabase>(TDatabase database) : IClassFixture<TDatabase>
    where TDatabase : TestDatabase
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    readonly string u = Guid.NewGuid().ToString("N")[..10];

    async Task<long> ImportIdAsync()
    {
        await using var db = database.CreateDbContext();
        var import = new Import { FileName = $"store-{u}", CreatedAt = database.Clock.GetUtcNow() };
        db.Imports.Add(import);
        await db.SaveChangesAsync(Ct);
        return import.Id;
    }

    Lead NewLead(string key, long importId) =>
        new() { IdentityKey = $"id:{u}-{key}", ExternalId = $"{u}-{key}", ImportId = importId, CreatedAt = database.Clock.GetUtcNow() };

    [Fact]
    public async Task Reserved_ids_are_ascending_above_every_stored_lead_and_a_later_insert_gets_a_higher_one()
    {
        var importId = await ImportIdAsync();
        await using (var db = database.CreateDbContext())
        {
            await using var store = await LeadStore.BeginAsync(db, Ct);
            await store.InsertAsync([NewLead("old", importId)], new bool[1], Ct);
            await store.CommitAsync(Ct);
        }

        long[] reserved;
        await using (var db = database.CreateDbContext())
        {
            await using var store = await LeadStore.BeginAsync(db, Ct);
            var (stored, ids) = await store.ReserveAsync([$"id:{u}-old", $"id:{u}-a", $"id:{u}-b"], Ct);
            reserved = ids;
            Assert.Equal([$"id:{u}-old"], stored);
            var leads = new[] { NewLead("a", importId), NewLead("b", importId) };
            (leads[0].Id, leads[1].Id, leads[1].Status, leads[1].BrokerId) = (ids[1], ids[2], LeadStatus.Pending, 7);
            Assert.Equal(2, await store.Insertion(leads).RunAsync(Ct));
            await store.CommitAsync(Ct);
        }

        await using var check = database.CreateDbContext();
        var rows = await check.Leads.Where(l => l.ImportId == importId).OrderBy(l => l.Id).ToListAsync(Ct);
        Assert.Equal(["old", "a", "b"], rows.Select(l => l.ExternalId![(u.Length + 1)..]));
        Assert.True(reserved[0] < reserved[1] && reserved[1] < reserved[2]);
        Assert.True(reserved[0] > rows[0].Id);
        Assert.Equal(reserved[1..], rows.Skip(1).Select(l => l.Id));
        Assert.Equal((LeadStatus.Pending, 7L), (rows[2].Status, rows[2].BrokerId!.Value));

        // An insert with generated ids afterwards continues above the reserved ones (sequence / largest id).
        await using (var db = database.CreateDbContext())
        {
            await using var store = await LeadStore.BeginAsync(db, Ct);
            await store.InsertAsync([NewLead("later", importId)], new bool[1], Ct);
            await store.CommitAsync(Ct);
        }
        var later = await check.Leads.Where(l => l.IdentityKey == $"id:{u}-later").Select(l => l.Id).SingleAsync(Ct);
        Assert.True(later > reserved[2]);
    }

    [Fact]
    public async Task An_insertion_whose_key_is_stored_meanwhile_inserts_fewer_rows_and_an_insertion_needs_reserved_ids()
    {
        var importId = await ImportIdAsync();
        await using var db = database.CreateDbContext();
        await using var store = await LeadStore.BeginAsync(db, Ct);
        var (stored, ids) = await store.ReserveAsync([$"id:{u}-x", $"id:{u}-y"], Ct);
        Assert.Empty(stored);
        // The same key stored in this transaction by another path (as a writer skipping the import lock would).
        await store.InsertAsync([NewLead("x", importId)], new bool[1], Ct);
        var leads = new[] { NewLead("x", importId), NewLead("y", importId) };
        (leads[0].Id, leads[1].Id) = (ids[0], ids[1]);

        Assert.Equal(1, await store.Insertion(leads).RunAsync(Ct));
        Assert.Throws<InvalidOperationException>(() => store.Insertion([NewLead("z", importId)]));
    }
}

public sealed class LeadStoreTests_Sqlite(SqliteDatabase database) : LeadStoreTests<SqliteDatabase>(database);

[Trait("Database", "Postgres")]
public sealed class LeadStoreTests_Postgres(PostgresDatabase database) : LeadStoreTests<PostgresDatabase>(database);
