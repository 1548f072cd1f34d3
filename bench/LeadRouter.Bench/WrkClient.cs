using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace LeadRouter.Bench;

/// <summary>
/// Load from <c>wrk</c> (Debian package <c>wrk</c>), a C load generator in its own process: it costs a fraction of the
/// CPU an HttpClient load costs, so on a 2-core machine more of the machine is left to the server. Each run is
/// <c>wrk -t T -c C -d D</c> against a loopback URL with a Lua script that adds the bearer token (read from an
/// environment variable, so it does not show in the process list), optionally builds each request (e.g. a POST body
/// with a fresh e-mail), and prints one JSON line with wrk's totals and latency percentiles when it is done.
/// wrk's percentiles come from its microsecond histogram: the smallest recorded latency with at least p % of the
/// requests at or below it (nearest rank).
/// </summary>
static class WrkClient
{
    const string TokenVariable = "LEADROUTER_BENCH_TOKEN";

    /// <summary>Untimed load on each path before a mode's timed wrk phases (JIT, pools, EF query caches).</summary>
    public static readonly TimeSpan Warmup = TimeSpan.FromSeconds(5);

    /// <summary>The totals of one wrk run. Latencies in milliseconds; <see cref="Errors"/> counts connect, read, write
    /// and timeout errors and responses that were not 2xx/3xx.</summary>
    public sealed record Result(long Requests, double Seconds, long Bytes, long Errors, long Non2xx, double P50, double P90, double P99, double Max, TimeSpan ServerCpu)
    {
        public double Rate => Requests / Seconds;

        public string Describe(string unit = "req/s") =>
            $"{Requests:N0} requests in {Seconds:N2} s = {Rate:N0} {unit}, {Errors} errors ({Non2xx} not 2xx), {Bytes / (double)Math.Max(1, Requests):N0} bytes each; " +
            $"latency ms p50 {P50:N1}, p90 {P90:N1}, p99 {P99:N1}, max {Max:N1}; server CPU {ServerCpu.TotalSeconds:N2} s (this process)";
    }

    /// <summary>True when a <c>wrk</c> executable is on the PATH.</summary>
    public static bool Available() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, "wrk")));

    /// <summary>
    /// Runs wrk for <paramref name="duration"/> against <paramref name="url"/> (loopback only) with
    /// <paramref name="connections"/> connections (each keeps one request in flight) over <paramref name="threads"/>
    /// threads. <paramref name="requestLua"/>, when given, is the body of a Lua <c>request()</c> function that must
    /// return <c>wrk.format(...)</c>; the variables <c>n</c> (this thread's request counter, from 1) and <c>thread_id</c>
    /// are in scope. Throws when wrk is missing or fails.
    /// </summary>
    public static async Task<Result> RunAsync(Uri url, string token, int connections, int threads, TimeSpan duration, string? requestLua, CancellationToken ct)
    {
        if (!IPAddress.TryParse(url.Host, out var ip) || !IPAddress.IsLoopback(ip)) throw new InvalidOperationException($"Not a loopback address: {url}");
        if (!Available()) throw new BenchArgsException("wrk is not installed (Debian: apt-get install wrk).");
        var script = Path.Combine(Path.GetTempPath(), $"lr_bench_wrk_{Guid.NewGuid():N}.lua");
        await File.WriteAllTextAsync(script, Script(requestLua), ct);
        try
        {
            var start = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "-t", $"{threads}", "-c", $"{connections}", "-d", $"{(int)Math.Ceiling(duration.TotalSeconds)}s",
                         "--timeout", "30s", "-s", script, url.ToString() })
                start.ArgumentList.Add(a);
            start.Environment[TokenVariable] = token;
            var serverCpu = Process.GetCurrentProcess().TotalProcessorTime;
            using var wrk = Process.Start(start) ?? throw new InvalidOperationException("wrk did not start.");
            var stdout = wrk.StandardOutput.ReadToEndAsync(ct);
            var stderr = wrk.StandardError.ReadToEndAsync(ct);
            await wrk.WaitForExitAsync(ct);
            serverCpu = Process.GetCurrentProcess().TotalProcessorTime - serverCpu;
            var output = await stdout;
            var line = output.Split('\n').LastOrDefault(l => l.StartsWith("{\"wrk\"", StringComparison.Ordinal));
            if (wrk.ExitCode != 0 || line is null)
                throw new InvalidOperationException($"wrk exited with {wrk.ExitCode}: {output}{await stderr}");
            var r = JsonSerializer.Deserialize<JsonElement>(line);
            double Ms(string name) => r.GetProperty(name).GetDouble() / 1000;
            return new Result(r.GetProperty("requests").GetInt64(), r.GetProperty("durationUs").GetDouble() / 1e6, r.GetProperty("bytes").GetInt64(),
                r.GetProperty("errors").GetInt64(), r.GetProperty("non2xx").GetInt64(), Ms("p50"), Ms("p90"), Ms("p99"), Ms("max"), serverCpu);
        }
        finally
        {
            File.Delete(script);
        }
    }

    static string Script(string? requestLua) => $$"""
        local token = os.getenv("{{TokenVariable}}")
        wrk.headers["Authorization"] = "Bearer " .. token
        local threads = 0
        function setup(thread)
          threads = threads + 1
          thread:set("thread_id", threads)
        end
        n = 0
        {{(requestLua is null ? "" : $"function request()\n  n = n + 1\n  {requestLua}\nend")}}
        function done(summary, latency, requests)
          local e = summary.errors
          io.write(string.format('{"wrk":1,"requests":%d,"durationUs":%d,"bytes":%d,"errors":%d,"non2xx":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\n',
            summary.requests, summary.duration, summary.bytes, e.connect + e.read + e.write + e.timeout + e.status, e.status,
            latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
        end
        """;
}
