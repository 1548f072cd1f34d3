using System.ComponentModel.DataAnnotations;
using MailKit.Security;

namespace LeadRouter.Web.Features.Notifications;

/// <summary>
/// Options of the e-mail outbox, section <c>Email</c>. Messages are always written to the outbox with the change they
/// report; the background sender delivers them only when <see cref="Enabled"/> is true (web host).
/// </summary>
public sealed class EmailOptions
{
    public const string Section = "Email";

    /// <summary>Whether the web host runs the background sender.</summary>
    public bool Enabled { get; set; }

    /// <summary>SMTP server host name.</summary>
    [Required]
    public string Host { get; set; } = "localhost";

    [Range(1, 65_535)]
    public int Port { get; set; } = 25;

    /// <summary>TLS: None, Auto, SslOnConnect, StartTls, StartTlsWhenAvailable (default).</summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.StartTlsWhenAvailable;

    /// <summary>SMTP user name; no authentication when empty.</summary>
    public string? User { get; set; }

    public string? Password { get; set; }

    /// <summary>Sender address, e.g. <c>LeadRouter &lt;noreply@example.com&gt;</c>.</summary>
    [Required]
    public string From { get; set; } = "LeadRouter <leadrouter@localhost>";

    /// <summary>Who receives "Lead Distribution Complete"; none is written when empty.</summary>
    public string? AdminAddress { get; set; }

    /// <summary>Base URL of the dashboard, used for links in member e-mails.</summary>
    [Required]
    public string DashboardBaseUrl { get; set; } = "http://localhost:5000";

    /// <summary>Messages claimed per pass.</summary>
    [Range(1, 1_000)]
    public int BatchSize { get; set; } = 50;

    /// <summary>Seconds a sender holds claimed messages; after that another sender may take them (same Message-Id).</summary>
    [Range(10, 86_400)]
    public int LeaseSeconds { get; set; } = 300;

    /// <summary>Attempts before a message stays failed.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Delay before the first retry; each further retry waits twice as long, up to <see cref="RetryMaxSeconds"/>.</summary>
    [Range(1, 86_400)]
    public int RetryBaseSeconds { get; set; } = 30;

    [Range(1, 604_800)]
    public int RetryMaxSeconds { get; set; } = 3_600;

    /// <summary>Seconds between passes when nothing signals new messages.</summary>
    [Range(1, 3_600)]
    public int PollSeconds { get; set; } = 15;

    /// <summary>SMTP connect and command timeout.</summary>
    [Range(1, 600)]
    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>The delay after failed attempt number <paramref name="attempts"/> (1-based).</summary>
    public TimeSpan RetryDelay(int attempts) =>
        TimeSpan.FromSeconds(Math.Min(RetryMaxSeconds, RetryBaseSeconds * Math.Pow(2, Math.Clamp(attempts - 1, 0, 30))));
}

/// <summary>Wiring of the notifications area: the e-mail outbox, its sender and its listing.</summary>
public static class NotificationsModule
{
    /// <summary>The area's services (used by the web host and the CLI).</summary>
    public static IHostApplicationBuilder AddNotifications(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<OutboxSignal>();
        builder.Services.AddSingleton<OutboxSender>();
        builder.Services.AddSingleton<OutboxQueries>();
        return builder;
    }

    /// <summary>The background sender (web host only; runs when <c>Email:Enabled</c> is true).</summary>
    public static IHostApplicationBuilder AddNotificationsBackground(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHostedService<OutboxDispatcher>();
        return builder;
    }
}
