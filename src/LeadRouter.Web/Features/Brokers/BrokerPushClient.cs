using System.Net.Http.Headers;
using System.Text;
using Polly.Timeout;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>One signed push: where to, how, the broker's headers and API key, the stable <c>webhook-id</c>, the secret and the JSON body.</summary>
public sealed record PushMessage(
    Uri Endpoint, string Method, IReadOnlyDictionary<string, string> Headers, string ApiKeyHeader, string? ApiKey,
    string WebhookId, string SigningSecret, string Body);

/// <summary>
/// What one attempt got: the status code (null: no answer — timeout, connection error, refused address), the first
/// 2 KB of the response body, the <c>Retry-After</c> delay if any, the duration and the error text.
/// </summary>
public sealed record PushAnswer(int? HttpStatus, string? Excerpt, TimeSpan? RetryAfter, int DurationMs, string? Error);

/// <summary>
/// The typed client that sends pushes. Its primary handler comes from <see cref="EndpointGuard.CreateHandler"/> (no
/// redirects, allowed addresses only) and its resilience pipeline only bounds each attempt by
/// <see cref="BrokersOptions.AttemptTimeoutSeconds"/>: retries are the dispatcher's, stored in the database.
/// </summary>
public sealed class BrokerPushClient(HttpClient http, TimeProvider clock)
{
    const int MaxExcerpt = LeadRouter.Data.Brokers.PushLog.MaxExcerpt;

    /// <summary>Signs and sends; never throws for network failures (they come back as an answer without status).</summary>
    public async Task<PushAnswer> SendAsync(PushMessage message, CancellationToken ct)
    {
        var started = clock.GetTimestamp();
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(new HttpMethod(message.Method), message.Endpoint)
        {
            Content = new StringContent(message.Body, Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in message.Headers) request.Headers.TryAddWithoutValidation(name, value);
        if (message.ApiKey is { } key) request.Headers.TryAddWithoutValidation(message.ApiKeyHeader, key);
        request.Headers.Add("webhook-id", message.WebhookId);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", WebhookSignature.Sign(message.SigningSecret, message.WebhookId, timestamp, message.Body));
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("LeadRouter", "1.0"));

        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var excerpt = await ExcerptAsync(response.Content, ct);
            TimeSpan? retryAfter = response.Headers.RetryAfter switch
            {
                { Delta: { } delta } => delta,
                { Date: { } date } => date - clock.GetUtcNow() is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero,
                _ => null,
            };
            return new PushAnswer((int)response.StatusCode, excerpt, retryAfter, Elapsed(started), null);
        }
        catch (TimeoutRejectedException)
        {
            return new PushAnswer(null, null, null, Elapsed(started), "The attempt timed out.");
        }
        catch (HttpRequestException e)
        {
            var refused = Inner<EndpointRefusedException>(e);
            return new PushAnswer(null, null, null, Elapsed(started),
                Truncate(refused is not null ? "Refused: " + refused.Message : $"{e.HttpRequestError}: {e.InnerException?.Message ?? e.Message}"));
        }
        catch (Exception e) when (e is TaskCanceledException or IOException && !ct.IsCancellationRequested)
        {
            return new PushAnswer(null, null, null, Elapsed(started), Truncate(e.Message));
        }
    }

    int Elapsed(long started) => (int)Math.Min(int.MaxValue, clock.GetElapsedTime(started).TotalMilliseconds);

    static async Task<string?> ExcerptAsync(HttpContent content, CancellationToken ct)
    {
        try
        {
            await using var stream = await content.ReadAsStreamAsync(ct);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var buffer = new char[MaxExcerpt];
            var read = await reader.ReadBlockAsync(buffer.AsMemory(), ct);
            return read == 0 ? null : new string(buffer, 0, read);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return null;
        }
    }

    static T? Inner<T>(Exception e) where T : Exception
    {
        for (Exception? x = e; x is not null; x = x.InnerException) if (x is T t) return t;
        return null;
    }

    static string Truncate(string s) => s.Length <= 1000 ? s : s[..1000];
}
