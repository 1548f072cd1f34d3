using System.Net.Http.Headers;
using System.Net.Http.Json;
using LeadRouter.Data;
using LeadRouter.Web.Features.Accounts;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace LeadRouter.Web.Tests.Infrastructure;

/// <summary>
/// The web app on a real database of its own (a temp SQLite file in WAL mode, or a fresh PostgreSQL database),
/// schema built by the shipped migrations, time held by <see cref="Clock"/>. One per test class.
/// </summary>
public abstract class LeadRouterApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2025, 1, 6, 9, 0, 0, TimeSpan.Zero));

    /// <summary>Why this database cannot be used here (tests are then skipped), or null.</summary>
    public virtual string? SkipReason => null;

    /// <summary>The database this app uses.</summary>
    public abstract DatabaseTarget Target { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Agents:BackgroundEnabled", "false");
        // Tests run the delivery dispatcher themselves; their receivers listen on loopback.
        builder.UseSetting("Brokers:DispatcherEnabled", "false");
        builder.UseSetting("Brokers:AllowedHosts:0", "127.0.0.1");
        builder.UseSetting("Email:AdminAddress", "admin@leadrouter.test");
        builder.UseSetting("Members:SchedulerEnabled", "false");
        builder.ConfigureTestServices(s =>
        {
            s.AddSingleton(Target);
            s.AddSingleton<TimeProvider>(Clock);
        });
    }

    public virtual async ValueTask InitializeAsync()
    {
        if (SkipReason is not null) return;
        await CreateDatabaseAsync();
        StartServer(); // starts the host (test server or Kestrel): migrations run on start
    }

    protected abstract Task CreateDatabaseAsync();

    public LeadRouterDb CreateDb() => Services.GetRequiredService<IDbContextFactory<LeadRouterDb>>().CreateDbContext();

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>The password of every login <see cref="ClientAsync"/> creates.</summary>
    public const string TestPassword = "Test-Password-1";

    /// <summary>Creates a login with <paramref name="role"/> and returns a client carrying its bearer token.</summary>
    public async Task<HttpClient> ClientAsync(string role, string? email = null)
    {
        email ??= $"{role.ToLowerInvariant()}-{Guid.NewGuid():N}@example.com";
        const string password = TestPassword;
        await using (var scope = Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<UserAccounts>().AddAsync(email, password, role, TestContext.Current.CancellationToken);
        var client = CreateClient();
        var login = await client.PostAsJsonAsync("/api/v1/auth/login", new { email, password }, TestContext.Current.CancellationToken);
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<TokenResponse>(TestContext.Current.CancellationToken))!.AccessToken;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    sealed record TokenResponse(string AccessToken);
}

/// <summary>SQLite in a temp file (WAL), deleted afterwards.</summary>
public class SqliteApp : LeadRouterApp
{
    readonly string file = Path.Combine(Path.GetTempPath(), $"lr_test_{Guid.NewGuid():N}.db");

    public override DatabaseTarget Target => DatabaseTarget.Parse(file);

    protected override Task CreateDatabaseAsync() => Task.CompletedTask;

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { file, file + "-wal", file + "-shm" }) File.Delete(f);
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// A fresh database <c>lr_test_…</c> on the server named by <c>LEADROUTER_TEST_POSTGRES</c> (an Npgsql connection
/// string, e.g. <c>Host=127.0.0.1;Username=app;Password=app</c>). Unset: tests skip. Set but unreachable: tests fail.
/// </summary>
public class PostgresApp : LeadRouterApp
{
    static readonly string? PgServer = Environment.GetEnvironmentVariable("LEADROUTER_TEST_POSTGRES");
    readonly string database = $"lr_test_{Guid.NewGuid():N}";

    public override string? SkipReason => string.IsNullOrWhiteSpace(PgServer) ? "LEADROUTER_TEST_POSTGRES is not set" : null;

    public override DatabaseTarget Target => new(DatabaseProvider.Postgres,
        new NpgsqlConnectionStringBuilder(PgServer) { Database = database, Pooling = true }.ToString());

    protected override async Task CreateDatabaseAsync()
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(PgServer) { Database = "postgres" }.ToString());
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (SkipReason is null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(PgServer) { Database = "postgres" }.ToString());
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", conn);
            // An autovacuum worker may hold the database for a moment: retry a few times.
            for (var attempt = 1; ; attempt++)
            {
                try { await cmd.ExecuteNonQueryAsync(); break; }
                catch (PostgresException) when (attempt < 5) { await Task.Delay(200 * attempt); }
            }
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>Base of every test class that runs on both databases: skips when the database is not available.</summary>
public abstract class AppTests<TApp> : IClassFixture<TApp> where TApp : LeadRouterApp
{
    protected AppTests(TApp app)
    {
        if (app.SkipReason is { } reason) Assert.Skip(reason);
        App = app;
    }

    protected TApp App { get; }

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A name unique to this test, for sources, agents and other rows (tests share one database per class).</summary>
    protected static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
}
