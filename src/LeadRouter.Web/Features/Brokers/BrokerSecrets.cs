using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>
/// Encrypts broker secrets (API keys, signing secrets) at rest with ASP.NET Core Data Protection, whose key ring is kept
/// in the database, so every node can read what another wrote. Secrets are shown only masked (<see cref="Mask"/>).
/// </summary>
public sealed class BrokerSecrets(IDataProtectionProvider provider)
{
    readonly IDataProtector protector = provider.CreateProtector("LeadRouter.Brokers.Secrets");

    public string Protect(string secret) => protector.Protect(secret);

    public string Unprotect(string protectedSecret) => protector.Unprotect(protectedSecret);

    /// <summary><c>****</c> plus the last 4 characters (all stars for secrets of 8 characters or fewer), or null.</summary>
    public static string? Mask(string? secret) =>
        secret is null ? null : secret.Length <= 8 ? "****" : "****" + secret[^4..];

    /// <summary>A new Standard Webhooks signing secret: <c>whsec_</c> + base64 of 32 random bytes.</summary>
    public static string NewSigningSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}

/// <summary>
/// Standard Webhooks signing (https://www.standardwebhooks.com): the signature is <c>v1,</c> + base64 of
/// HMAC-SHA256 over <c>{webhook-id}.{webhook-timestamp}.{body}</c>, keyed with the base64-decoded part of the secret
/// after <c>whsec_</c>; the timestamp is Unix seconds.
/// </summary>
public static class WebhookSignature
{
    /// <summary>The <c>webhook-signature</c> header value for one message.</summary>
    public static string Sign(string secret, string webhookId, long timestamp, string body)
    {
        var key = Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret["whsec_".Length..] : secret);
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{webhookId}.{timestamp}.{body}"));
        return "v1," + Convert.ToBase64String(mac);
    }

    /// <summary>True when one of the space-separated signatures in <paramref name="header"/> matches (constant-time compare).</summary>
    public static bool Verify(string secret, string webhookId, long timestamp, string body, string header)
    {
        var expected = Encoding.ASCII.GetBytes(Sign(secret, webhookId, timestamp, body));
        return header.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Any(s => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s), expected));
    }
}
