using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>An endpoint host resolved only to addresses the guard refuses; no connection was made.</summary>
public sealed class EndpointRefusedException(string host, IReadOnlyList<IPAddress> addresses)
    : Exception($"'{host}' resolves to {(addresses.Count == 0 ? "no address" : string.Join(", ", addresses))}, which is not a public address (loopback, private, link-local, CGNAT, multicast or metadata); allow it with Brokers:AllowedHosts.")
{
    public string Host { get; } = host;
}

/// <summary>
/// Keeps pushes off internal networks (server-side request forgery): a delivery endpoint must resolve to public
/// addresses unless its host, address or a CIDR range holding the address is in <see cref="BrokersOptions.AllowedHosts"/>.
/// Checked when the endpoint is configured (<see cref="RefusalAsync"/>) and again on every connection
/// (<see cref="CreateHandler"/>'s connect callback resolves the host itself and connects only to addresses that pass),
/// so a DNS answer that changes after configuration (rebinding) cannot reach an internal address. Redirects are not followed.
/// </summary>
public sealed class EndpointGuard
{
    static readonly IPNetwork[] Blocked =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"), IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("240.0.0.0/4"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"),
        IPNetwork.Parse("ff00::/8"), IPNetwork.Parse("64:ff9b::/96"), IPNetwork.Parse("2001:db8::/32"),
    ];

    readonly HashSet<string> allowedNames = new(StringComparer.OrdinalIgnoreCase);
    readonly List<IPNetwork> allowedNetworks = [];

    public EndpointGuard(IOptions<BrokersOptions> options)
    {
        foreach (var entry in options.Value.AllowedHosts.SelectMany(e => e.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (IPNetwork.TryParse(entry, out var network)) allowedNetworks.Add(network);
            else if (IPAddress.TryParse(entry, out var address)) allowedNetworks.Add(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            else allowedNames.Add(entry.TrimEnd('.'));
        }
    }

    /// <summary>True for addresses that are not public: loopback, private, link-local (with 169.254.169.254), CGNAT, multicast, reserved.</summary>
    public static bool IsInternal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return Blocked.Any(n => n.BaseAddress.AddressFamily == address.AddressFamily && n.Contains(address));
    }

    /// <summary>True when a connection for <paramref name="host"/> may go to <paramref name="address"/>.</summary>
    public bool IsAllowed(string host, IPAddress address)
    {
        if (allowedNames.Contains(host.TrimEnd('.'))) return true;
        var a = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return !IsInternal(a) || allowedNetworks.Any(n => n.BaseAddress.AddressFamily == a.AddressFamily && n.Contains(a));
    }

    /// <summary>Resolves <paramref name="host"/> (an address literal stands for itself) and keeps the allowed addresses.</summary>
    /// <exception cref="EndpointRefusedException">Nothing allowed is left.</exception>
    public async Task<IPAddress[]> ResolveAllowedAsync(string host, CancellationToken ct)
    {
        var name = host.Trim('[', ']');
        IPAddress[] addresses;
        if (IPAddress.TryParse(name, out var literal)) addresses = [literal];
        else
        {
            try { addresses = await Dns.GetHostAddressesAsync(name, ct); }
            catch (SocketException) { addresses = []; }
        }
        var allowed = addresses.Where(a => IsAllowed(name, a)).ToArray();
        return allowed.Length > 0 ? allowed : throw new EndpointRefusedException(name, addresses);
    }

    /// <summary>Configuration-time check of an endpoint: null when allowed, else the reason.</summary>
    public async Task<string?> RefusalAsync(Uri endpoint, CancellationToken ct)
    {
        try
        {
            await ResolveAllowedAsync(endpoint.Host, ct);
            return null;
        }
        catch (EndpointRefusedException e)
        {
            return e.Message;
        }
    }

    /// <summary>The primary handler of the push client: no redirects, no proxy, connections only to allowed addresses.</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = async (context, ct) =>
        {
            var addresses = await ResolveAllowedAsync(context.DnsEndPoint.Host, ct);
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
