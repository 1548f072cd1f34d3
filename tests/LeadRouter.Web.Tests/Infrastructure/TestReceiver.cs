using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LeadRouter.Web.Tests.Infrastructure;

/// <summary>One request a <see cref="TestReceiver"/> got.</summary>
public sealed record ReceivedPush(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string Header(string name) => Headers.TryGetValue(name, out var v) ? v : "";
}

/// <summary>
/// A real HTTP receiver (Kestrel) on 127.0.0.1 and a free port: answers the scripted status codes in order, then
/// <see cref="Then"/>; records every request.
/// </summary>
public sealed class TestReceiver : IAsyncDisposable
{
    readonly WebApplication app;
    readonly ConcurrentQueue<int> script;

    TestReceiver(WebApplication app, IEnumerable<int> statuses)
    {
        this.app = app;
        script = new ConcurrentQueue<int>(statuses);
    }

    public ConcurrentQueue<ReceivedPush> Requests { get; } = new();

    /// <summary>The status answered once the script is used up.</summary>
    public int Then { get; init; } = 200;

    /// <summary>When set, decides every answer's status from the request (the script and <see cref="Then"/> are not used).</summary>
    public Func<ReceivedPush, int>? Answer { get; set; }

    /// <summary>Extra response headers (e.g. Retry-After).</summary>
    public Dictionary<string, string> ResponseHeaders { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The base address, e.g. <c>http://127.0.0.1:54321/</c>.</summary>
    public Uri Url { get; private set; } = null!;

    public static async Task<TestReceiver> StartAsync(params int[] statuses)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new TestReceiver(app, statuses);
        app.Run(async http =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var push = new ReceivedPush(http.Request.Method, http.Request.Path,
                http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body);
            receiver.Requests.Enqueue(push);
            http.Response.StatusCode = receiver.Answer is { } answer ? answer(push)
                : receiver.script.TryDequeue(out var status) ? status : receiver.Then;
            foreach (var (k, v) in receiver.ResponseHeaders) http.Response.Headers[k] = v;
            await http.Response.WriteAsync($"answer {http.Response.StatusCode}");
        });
        await app.StartAsync();
        receiver.Url = new Uri(app.Urls.Single().Replace("[::1]", "127.0.0.1") + "/");
        return receiver;
    }

    /// <summary>Stops listening: later connections are refused.</summary>
    public Task StopAsync() => app.StopAsync();

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
