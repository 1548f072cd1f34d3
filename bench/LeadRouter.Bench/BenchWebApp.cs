using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using LeadRouter.Web;
using LeadRouter.Web.Features.Accounts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LeadRouter.Bench;

/// <summary>
/// The real web app (<see cref="LeadRouterWebApp.Build"/>) on a bench database, listening on 127.0.0.1 and a free port.
/// Background work is off; the intake rate limit is raised through its option so the load is not refused.
/// </summary>
sealed class BenchWebApp : IAsyncDisposable
{
    const string Password = "Bench-Password-1";

    BenchWebApp(WebApplication app) => App = app;

    public WebApplication App { get; }

    public Uri Url { get; private set; } = null!;

    public T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public static async Task<BenchWebApp> StartAsync(BenchDatabase db, IDictionary<string, string?> settings, CancellationToken ct, bool listen = true)
    {
        var app = LeadRouterWebApp.Build(new WebApplicationOptions { Args = [] }, b =>
        {
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Db"] = db.Target.ConnectionString,
                ["Agents:BackgroundEnabled"] = "false",
                ["Brokers:DispatcherEnabled"] = "false",
                ["Members:SchedulerEnabled"] = "false",
                ["Email:AdminAddress"] = "admin@leadrouter.test",
                ["RateLimits:IntakePerMinute"] = "1000000",
            }.Concat(settings).ToDictionary());
            b.Logging.ClearProviders();
            b.WebHost.UseUrls("http://127.0.0.1:0");
        });
        var bench = new BenchWebApp(app);
        if (listen)
        {
            await app.StartAsync(ct);
            bench.Url = new Uri(app.Urls.Single() + "/");
        }
        return bench;
    }

    /// <summary>Creates an admin login and returns a client carrying its bearer token (at most <paramref name="connections"/> connections).</summary>
    public async Task<HttpClient> AdminClientAsync(int connections, CancellationToken ct)
    {
        var email = $"bench-{Guid.NewGuid():N}@example.com";
        await using (var scope = App.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<UserAccounts>().AddAsync(email, Password, Roles.Admin, ct);
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = Url,
            Timeout = TimeSpan.FromSeconds(60),
            DefaultRequestVersion = HttpVersion.Version11,
        };
        var login = await client.PostAsJsonAsync("api/v1/auth/login", new { email, password = Password }, ct);
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<TokenResponse>(ct))!.AccessToken;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    sealed record TokenResponse(string AccessToken);

    public async ValueTask DisposeAsync()
    {
        if (Url is not null) await App.StopAsync();
        await App.DisposeAsync();
    }
}
