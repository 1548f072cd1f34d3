using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace LeadRouter.Web.Tests.Infrastructure;

/// <summary>
/// A second web app instance (its own host, services, connection pools and rate limiter) on the database of
/// <paramref name="first"/>, with the same clock: two app nodes behind one database.
/// </summary>
public sealed class PeerApp(LeadRouterApp first) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Agents:BackgroundEnabled", "false");
        builder.UseSetting("Brokers:DispatcherEnabled", "false");
        builder.UseSetting("Brokers:AllowedHosts:0", "127.0.0.1");
        builder.UseSetting("Email:AdminAddress", "admin@leadrouter.test");
        builder.UseSetting("Members:SchedulerEnabled", "false");
        builder.ConfigureTestServices(s =>
        {
            s.AddSingleton(first.Target);
            s.AddSingleton<TimeProvider>(first.Clock);
        });
    }

    /// <summary>Signs in on this node as an existing login (made by <see cref="LeadRouterApp.ClientAsync"/>).</summary>
    public async Task<HttpClient> ClientAsync(string email)
    {
        var client = CreateClient();
        var login = await client.PostAsJsonAsync("/api/v1/auth/login", new { email, password = LeadRouterApp.TestPassword },
            TestContext.Current.CancellationToken);
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<TokenResponse>(TestContext.Current.CancellationToken))!.AccessToken;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    sealed record TokenResponse(string AccessToken);
}
