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
        DatabaseProvider.Postgres => o.UseNpgsql(target.ConnectionString, x => x.MigrationsAssembly("LeadRouter.Data.Postgres")),
        _ => throw new InvalidOperationException($"Unknown provider '{target.Provider}'"),
    };

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
