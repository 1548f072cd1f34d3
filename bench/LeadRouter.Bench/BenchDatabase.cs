using LeadRouter.Data;
using LeadRouter.Data.Leads.Intake;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Features.Members;
using LeadRouter.Web.Features.Notifications;
using LeadRouter.Web.Features.Replenishment;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LeadRouter.Bench;

/// <summary>
/// A fresh, migrated database for one measurement, and the same services the CLI uses on it; removed on dispose.
/// SQLite: a temp file (WAL). PostgreSQL: a new database <c>lr_bench_&lt;guid&gt;</c> on the given server, dropped after.
/// </summary>
sealed class BenchDatabase : IAsyncDisposable
{
    readonly string? sqliteFile;
    readonly string? postgresAdmin;
    readonly string? postgresName;
    readonly ServiceProvider services;
    bool keep;

    BenchDatabase(DatabaseTarget target, string? sqliteFile, string? postgresAdmin, string? postgresName, CommandProfile? profile)
    {
        Target = target;
        this.sqliteFile = sqliteFile;
        this.postgresAdmin = postgresAdmin;
        this.postgresName = postgresName;
        var s = new ServiceCollection();
        s.AddSingleton(target);
        s.AddDbContextFactory<LeadRouterDb>((_, o) =>
        {
            DataRegistration.Configure(o, target);
            if (profile is not null) o.AddInterceptors(profile);
        });
        s.AddSingleton(TimeProvider.System);
        s.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        s.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        s.AddSingleton<LeadImporter>();
        s.AddSingleton<LeadRouter.Web.Features.Platform.RunProgress>();
        s.AddSingleton<LeadAssigner>();
        s.AddSingleton<Replenish>();
        s.AddSingleton(Options.Create(new MembersOptions()));
        s.AddSingleton(Options.Create(new EmailOptions()));
        s.AddSingleton<OutboxSignal>();
        s.AddSingleton<RunDistribution>();
        services = s.BuildServiceProvider();
    }

    public DatabaseTarget Target { get; }

    public string Describe => Target.Provider == DatabaseProvider.Sqlite ? "SQLite (WAL, temp file)" : $"PostgreSQL ({postgresName})";

    public IDbContextFactory<LeadRouterDb> Dbs => services.GetRequiredService<IDbContextFactory<LeadRouterDb>>();

    public T Get<T>() where T : notnull => services.GetRequiredService<T>();

    /// <summary>Creates and migrates a fresh database: <paramref name="db"/> null or a path = SQLite temp file; <c>Host=…</c> = PostgreSQL.</summary>
    public static async Task<BenchDatabase> CreateAsync(string? db, CancellationToken ct, CommandProfile? profile = null)
    {
        BenchDatabase bench;
        if (db is not null && DatabaseTarget.Parse(db) is { Provider: DatabaseProvider.Postgres } server)
        {
            var name = $"lr_bench_{Guid.NewGuid():N}";
            var admin = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = "postgres", Pooling = false }.ToString();
            await using (var conn = new NpgsqlConnection(admin))
            {
                await conn.OpenAsync(ct);
                await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
                await cmd.ExecuteNonQueryAsync(ct);
            }

            var target = new DatabaseTarget(DatabaseProvider.Postgres,
                new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = name }.ToString());
            bench = new BenchDatabase(target, null, admin, name, profile);
        }
        else
        {
            var file = Path.Combine(db is null ? Path.GetTempPath() : Path.GetDirectoryName(Path.GetFullPath(db))!,
                $"lr_bench_{Guid.NewGuid():N}.db");
            bench = new BenchDatabase(DatabaseTarget.Parse(file), file, null, null, profile);
        }

        await using var context = await bench.Dbs.CreateDbContextAsync(ct);
        await context.Database.MigrateAsync(ct);
        return bench;
    }

    /// <summary>
    /// An existing database (a SQLite file path or <c>Host=…</c>), for instance one a previous run left with <c>--keep</c>:
    /// not created, not migrated, and left in place on dispose.
    /// </summary>
    public static BenchDatabase Existing(string db, CommandProfile? profile = null) =>
        new(DatabaseTarget.Parse(db), null, null, null, profile);

    /// <summary>Leaves the database in place on dispose (its connection string is in <see cref="Target"/>).</summary>
    public void Keep() => keep = true;

    public async ValueTask DisposeAsync()
    {
        await services.DisposeAsync();
        if (keep) return;
        if (sqliteFile is not null)
        {
            SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(sqliteFile + suffix);
        }

        if (postgresAdmin is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var conn = new NpgsqlConnection(postgresAdmin);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{postgresName}\" WITH (FORCE)", conn);
            await cmd.ExecuteNonQueryAsync();
        }
    }
}
