using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Tests;

public abstract class MigrationTests<TApp>(TApp app) : AppTests<TApp>(app) where TApp : LeadRouterApp
{
    [Fact]
    public async Task The_shipped_migrations_match_the_model()
    {
        await using var db = App.CreateDb();

        Assert.False(db.Database.HasPendingModelChanges(), "Model changed without a migration: run ./migrations.sh NAME");
        Assert.Empty(await db.Database.GetPendingMigrationsAsync(Ct));
    }
}

public sealed class MigrationTests_Sqlite(SqliteApp app) : MigrationTests<SqliteApp>(app);

[Trait("Database", "Postgres")]
public sealed class MigrationTests_Postgres(PostgresApp app) : MigrationTests<PostgresApp>(app);
