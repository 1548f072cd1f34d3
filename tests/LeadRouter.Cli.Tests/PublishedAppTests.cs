using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace LeadRouter.Cli.Tests;

/// <summary>
/// The README's published form: <c>dotnet publish src/LeadRouter.Cli -o out</c> (here from the build the tests already
/// made, <c>--no-build</c>), then <c>dotnet out/leadrouter.dll serve</c> from another working directory on a loopback
/// port. The dashboard's sign-in page must load with every stylesheet and script it references (MudBlazor's CSS and JS,
/// the app's own files, blazor.web.js).
/// </summary>
public sealed partial class PublishedAppTests : IDisposable
{
#if DEBUG
    const string Configuration = "Debug";
#else
    const string Configuration = "Release";
#endif

    readonly string dir = Directory.CreateTempSubdirectory("lr_publish_").FullName;

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task The_published_app_serves_the_dashboards_stylesheets_and_scripts()
    {
        var output = Path.Combine(dir, "out");
        var publish = await RunAsync(Dotnet, ["publish", Path.Combine(RepoRoot, "src", "LeadRouter.Cli"), "-c", Configuration, "--no-build", "-o", output, "-v", "q", "-nologo"],
            RepoRoot, TimeSpan.FromMinutes(3));
        Assert.True(publish.ExitCode == 0, $"dotnet publish failed:\n{publish.Output}");
        var port = FreePort();
        var work = Directory.CreateDirectory(Path.Combine(dir, "elsewhere")).FullName;

        using var server = Start(Dotnet, [Path.Combine(output, "leadrouter.dll"), "serve", "--urls", $"http://127.0.0.1:{port}", "--db", Path.Combine(work, "app.db")], work);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            await WaitHealthyAsync(http, server);
            var login = await http.GetStringAsync("/login", Ct);
            var assets = AssetReference().Matches(login).Select(m => m.Groups["url"].Value).ToList();

            Assert.Contains(assets, a => a.StartsWith("_content/MudBlazor/MudBlazor.min.", StringComparison.Ordinal) && a.EndsWith(".css", StringComparison.Ordinal));
            Assert.Contains(assets, a => a.StartsWith("_content/MudBlazor/MudBlazor.min.", StringComparison.Ordinal) && a.EndsWith(".js", StringComparison.Ordinal));
            Assert.Contains(assets, a => a.StartsWith("dashboard.", StringComparison.Ordinal) && a.EndsWith(".css", StringComparison.Ordinal));
            Assert.Contains(assets, a => a.StartsWith("dashboard.", StringComparison.Ordinal) && a.EndsWith(".js", StringComparison.Ordinal));
            Assert.Contains(assets, a => a.StartsWith("_framework/blazor.web.", StringComparison.Ordinal));
            foreach (var asset in assets)
            {
                using var response = await http.GetAsync("/" + asset, Ct);
                var body = await response.Content.ReadAsByteArrayAsync(Ct);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /{asset}: {(int)response.StatusCode}");
                Assert.True(body.Length > 100, $"GET /{asset}: {body.Length} bytes");
                Assert.Equal(asset.EndsWith(".css", StringComparison.Ordinal) ? "text/css" : "text/javascript", response.Content.Headers.ContentType?.MediaType);
            }

            // The unfingerprinted paths work too (scripts and links written by hand, caches of older pages).
            foreach (var plain in new[] { "/_content/MudBlazor/MudBlazor.min.css", "/_content/MudBlazor/MudBlazor.min.js", "/dashboard.css", "/_framework/blazor.web.js" })
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(plain, Ct)).StatusCode);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>Stylesheets and scripts of a page: <c>&lt;link rel="stylesheet" href&gt;</c> and <c>&lt;script src&gt;</c>.</summary>
    [GeneratedRegex(@"<(?:link rel=""stylesheet"" href|script src)=""(?<url>[^""]+)""")]
    private static partial Regex AssetReference();

    static async Task WaitHealthyAsync(HttpClient http, Process server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (server.HasExited) Assert.Fail($"leadrouter serve exited with {server.ExitCode}.");
            try
            {
                if ((await http.GetAsync("/health", Ct)).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(250, Ct);
        }

        Assert.Fail("leadrouter serve did not become healthy within 90 s.");
    }

    static string RepoRoot
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "LeadRouter.slnx"))) return d.FullName;
            throw new InvalidOperationException("LeadRouter.slnx not found above the test's directory.");
        }
    }

    static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static Process Start(string file, IEnumerable<string> args, string workingDirectory)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        // The test host's build and runner settings are not the child's.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("DOTNET_WATCH", StringComparison.Ordinal)
                     || k.StartsWith("TESTINGPLATFORM", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(key);
        info.Environment["Agents__BackgroundEnabled"] = "false";
        info.Environment["Brokers__DispatcherEnabled"] = "false";
        info.Environment["Members__SchedulerEnabled"] = "false";
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> args, string workingDirectory, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList()) info.Environment.Remove(key);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
