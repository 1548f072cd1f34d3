using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace LeadRouter.Web.Tests.Infrastructure;

/// <summary>A real SMTP server on 127.0.0.1 inside the test process that keeps every message it receives.</summary>
public sealed class SmtpSink : IAsyncDisposable
{
    readonly CancellationTokenSource stop = new();
    readonly Task running;
    readonly Store store = new();

    SmtpSink(int port)
    {
        Port = port;
        var options = new SmtpServerOptionsBuilder().ServerName("localhost")
            .Endpoint(b => b.Endpoint(new IPEndPoint(IPAddress.Loopback, port))).Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(store);
        running = new SmtpServer.SmtpServer(options, services).StartAsync(stop.Token);
    }

    public int Port { get; }

    /// <summary>Messages received so far, in order.</summary>
    public IReadOnlyList<MimeMessage> Messages => [.. store.Messages];

    /// <summary>Starts a sink on <paramref name="port"/> (default: a free one) and waits until it accepts connections.</summary>
    public static async Task<SmtpSink> StartAsync(int? port = null)
    {
        var sink = new SmtpSink(port ?? FreePort());
        for (var i = 0; ; i++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, sink.Port);
                return sink;
            }
            catch (SocketException) when (i < 50)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>A loopback port with nothing listening on it (at the moment of the call).</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try { await running; } catch (OperationCanceledException) { }
        stop.Dispose();
    }

    sealed class Store : MessageStore
    {
        public ConcurrentQueue<MimeMessage> Messages { get; } = new();

        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction,
            ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            using var stream = new MemoryStream(buffer.ToArray());
            Messages.Enqueue(await MimeMessage.LoadAsync(stream, cancellationToken));
            return SmtpResponse.Ok;
        }
    }
}
