using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LeadRouter.Data;

/// <summary>Registers <see cref="LeadRouterDb"/> for the Web host, the CLI and tests: one place, both providers.</summary>
public static class DataRegistration
{
    /// <summary>Configuration key holding the <c>--db</c> value (env <c>LEADROUTER_DB</c>).</summary>
    public const string DbKey = "Db";

    /// <summary>
    /// Reads the target from configuration: <c>Db</c> (the <c>--db</c> / <c>LEADROUTER_DB</c> value), or
    /// <c>Provider</c> with <c>ConnectionStrings:{Provider}</c>; default SQLite <c>./leadrouter.db</c>.
    /// </summary>
    public static DatabaseTarget ResolveTarget(IConfiguration cfg)
    {
        if (cfg[DbKey] is { Length: > 0 } db) return DatabaseTarget.Parse(db);
        var env = Environment.GetEnvironmentVariable("LEADROUTER_DB");
        if (cfg["Provider"] is { Length: > 0 } provider)
        {
            var p = Enum.Parse<DatabaseProvider>(provider, ignoreCase: true);
            var cs = cfg.GetConnectionString(p.ToString());
            if (!string.IsNullOrEmpty(cs)) return p == DatabaseProvider.Sqlite && !cs.Contains('=') ? DatabaseTarget.Parse(cs) : new(p, cs);
        }

        return DatabaseTarget.Parse(env);
    }

    /// <summary>
    /// Adds an <see cref="IDbContextFactory{LeadRouterDb}"/> and a scoped <see cref="LeadRouterDb"/>. The
    /// <see cref="DatabaseTarget"/> is read from configuration when first needed (<see cref="ResolveTarget"/>);
    /// registering another <see cref="DatabaseTarget"/> singleton afterwards (tests) replaces it.
    /// </summary>
    public static IServiceCollection AddLeadRouterData(this IServiceCollection services)
    {
        services.AddSingleton(sp => ResolveTarget(sp.GetRequiredService<IConfiguration>()));
        services.AddDbContextFactory<LeadRouterDb>((sp, o) => Configure(o, sp.GetRequiredService<DatabaseTarget>()));
        return services;
    }

    /// <summary>Applies the provider, migrations assembly and SQLite pragmas to an options builder.</summary>
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder o, DatabaseTarget target) => target.Provider switch
    {
        DatabaseProvider.Sqlite => o.UseSqlite(target.ConnectionString, x => x.MigrationsAssembly("LeadRouter.Data.Sqlite"))
            .AddInterceptors(SqlitePragmas.Instance),
        DatabaseProvider.Postgres => o.UseNpgsql(WithAutoPrepare(target.ConnectionString), x => x.MigrationsAssembly("LeadRouter.Data.Postgres")),
        _ => throw new InvalidOperationException($"Unknown provider '{target.Provider}'"),
    };

    /// <summary>
    /// The Npgsql connection string the context opens: the given one, plus automatic preparation of the statements a
    /// connection runs repeatedly (<c>Max Auto Prepare=64; Auto Prepare Min Usages=2</c>) unless it sets
    /// <c>Max Auto Prepare</c> itself (e.g. <c>Max Auto Prepare=0</c> behind PgBouncer in transaction mode). The intake,
    /// routing and dispatch transactions send the same statements over and over; prepared, PostgreSQL stops parsing and
    /// planning them each time (bench/README.md: PostgreSQL intake + routing 1,847 → 2,252 leads/s, same run conditions).
    /// </summary>
    public static string WithAutoPrepare(string connectionString)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (given.ContainsKey("Max Auto Prepare") || given.ContainsKey("MaxAutoPrepare")) return connectionString;
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = 64 };
        if (!given.ContainsKey("Auto Prepare Min Usages") && !given.ContainsKey("AutoPrepareMinUsages")) builder.AutoPrepareMinUsages = 2;
        return builder.ToString();
    }

    /// <summary>WAL, NORMAL sync and foreign keys on every SQLite connection the context opens.</summary>
    sealed class SqlitePragmas : DbConnectionInterceptor
    {
        public static readonly SqlitePragmas Instance = new();
        const string Sql = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=60000;";

        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = Sql;
            cmd.ExecuteNonQuery();
        }

        public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = Sql;
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
