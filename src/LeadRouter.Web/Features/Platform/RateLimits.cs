using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace LeadRouter.Web.Features.Platform;

/// <summary>Options of the request rate limits, section <c>RateLimits</c>: requests per minute per signed-in user (else per client address).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Lead intake requests (<c>POST /api/v1/leads</c>) per minute.</summary>
    [Range(1, 1_000_000)]
    public int IntakePerMinute { get; set; } = 600;

    /// <summary>Push requests (<c>push-lead</c>, <c>test-push</c>) per minute.</summary>
    [Range(1, 1_000_000)]
    public int PushPerMinute { get; set; } = 60;

    /// <summary>
    /// Postbacks (<c>/api/v1/postbacks/{brokerId}</c>) per minute per broker and client address: affiliate platforms send
    /// many brokers' postbacks from shared addresses, so one broker's burst must not refuse another's, and calls from
    /// another address (someone guessing tokens) must not use up the broker's own.
    /// </summary>
    [Range(1, 1_000_000)]
    public int PostbacksPerMinute { get; set; } = 600;
}

/// <summary>
/// The named rate-limit policies endpoints opt into (<see cref="Intake"/>, <see cref="Push"/> per user,
/// <see cref="Postbacks"/> per broker and address): fixed one-minute windows; a refused request gets 429 with <c>Retry-After</c> in seconds.
/// </summary>
public static class RateLimits
{
    public const string Intake = "intake";
    public const string Push = "push";
    public const string Postbacks = "postbacks";

    /// <summary>Registers the policies.</summary>
    public static IHostApplicationBuilder AddRateLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(Intake, http => PerUser(http, options.IntakePerMinute));
            o.AddPolicy(Push, http => PerUser(http, options.PushPerMinute));
            o.AddPolicy(Postbacks, http =>
                Window($"broker:{http.GetRouteValue("brokerId")} ip:{http.Connection.RemoteIpAddress}", options.PostbacksPerMinute));
            o.OnRejected = (context, _) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var delay) ? delay : TimeSpan.FromMinutes(1);
                context.HttpContext.Response.Headers.RetryAfter =
                    Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                return ValueTask.CompletedTask;
            };
        });
        return builder;
    }

    static RateLimitPartition<string> PerUser(HttpContext http, int perMinute) =>
        Window(http.User.Identity is { IsAuthenticated: true, Name: { } name } ? "user:" + name : "ip:" + http.Connection.RemoteIpAddress, perMinute);

    static RateLimitPartition<string> Window(string partition, int perMinute) =>
        RateLimitPartition.GetFixedWindowLimiter(partition,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
}
