using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace LeadRouter.Web.Tests.Infrastructure;

/// <summary>The app on a real Kestrel server on a random 127.0.0.1 port, for a real browser.</summary>
public interface IBrowserApp
{
    /// <summary>The server's address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    string BaseUrl { get; }
}

static class KestrelOnLoopback
{
    public static string AddressOf(IServiceProvider services) =>
        services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
}

/// <summary>SQLite app served by Kestrel on a random loopback port.</summary>
public sealed class BrowserSqliteApp : SqliteApp, IBrowserApp
{
    public BrowserSqliteApp() => UseKestrel(o => o.Listen(IPAddress.Loopback, 0));

    public string BaseUrl => KestrelOnLoopback.AddressOf(Services);
}

/// <summary>PostgreSQL app served by Kestrel on a random loopback port.</summary>
public sealed class BrowserPostgresApp : PostgresApp, IBrowserApp
{
    public BrowserPostgresApp() => UseKestrel(o => o.Listen(IPAddress.Loopback, 0));

    public string BaseUrl => KestrelOnLoopback.AddressOf(Services);
}
