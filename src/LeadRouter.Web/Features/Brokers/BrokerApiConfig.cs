using System.Text.Json;
using LeadRouter.Data;
using LeadRouter.Data.Brokers;
using LeadRouter.Domain.Brokers;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>
/// Body of <c>POST /api/crm/brokers/upload-api</c> (seed 003's uploaded JSON config plus the broker it applies to).
/// <paramref name="ApiKey"/>: null keeps the stored key, empty removes it. <paramref name="ApiKeyHeader"/>: the header that
/// carries it (default <c>X-API-Key</c>). <paramref name="RotateSecret"/>: make a new signing secret although one exists.
/// <paramref name="Failover"/>: when a routed lead's delivery dies, route the lead to the next eligible broker (null keeps the setting).
/// <paramref name="FieldMap"/>: the push body's field mapping, lead field → the receiver's name, in body order (e.g.
/// <c>{"email":"contact_email","phone":"msisdn","attributes.campaign":"campaign_id"}</c>); lead fields are those of
/// <see cref="Domain.Brokers.LeadFieldMap.Fields"/> or <c>attributes.NAME</c>. Absent or empty: the whole lead is sent.
/// Like <paramref name="Headers"/>, it is replaced by every upload.
/// </summary>
public sealed record BrokerApiConfigRequest(
    long? BrokerId, string? Endpoint, string? ApiKey = null, string? Method = "POST",
    IReadOnlyDictionary<string, string>? Headers = null, string? ApiKeyHeader = null, bool RotateSecret = false, bool? Failover = null,
    IReadOnlyDictionary<string, string?>? FieldMap = null);

/// <summary>
/// A broker's delivery configuration as shown: secrets only masked (<c>****</c> + last 4). <paramref name="NewSigningSecret"/>
/// is set only in the answer of the call that generated the secret (first configuration or rotation) — the one time it is
/// shown, so the receiver can verify signatures; it is never returned again. <paramref name="FieldMap"/> is the push body's
/// field mapping (lead field → receiver name, in body order), or null when the whole lead is sent.
/// </summary>
public sealed record BrokerApiConfigDto(
    long BrokerId, string? Endpoint, string Method, IReadOnlyDictionary<string, string> Headers, string ApiKeyHeader,
    string? ApiKey, string? SigningSecret, bool AutoPush, bool Failover, IReadOnlyDictionary<string, string>? FieldMap,
    string? NewSigningSecret = null);

/// <summary>Stores and shows brokers' delivery configuration: endpoint, method, headers, API key and signing secret.</summary>
public sealed class BrokerApiConfig(IDbContextFactory<LeadRouterDb> dbs, BrokerSecrets secrets, EndpointGuard guard, TimeProvider clock)
{
    /// <summary>Headers the dispatcher sets itself; a configuration may not name them.</summary>
    static readonly HashSet<string> Reserved = new(
        ["host", "content-length", "content-type", "transfer-encoding", "connection", "upgrade", "te", "trailer", "keep-alive",
         "proxy-connection", "expect", "webhook-id", "webhook-timestamp", "webhook-signature"], StringComparer.OrdinalIgnoreCase);

    internal const string DefaultApiKeyHeader = "X-API-Key";

    /// <summary>Validates and stores a configuration; the API key and a signing secret (made if missing) are encrypted.</summary>
    /// <returns>The stored configuration, or null when there is no such broker.</returns>
    /// <exception cref="InputException">Every invalid field at once (nothing stored).</exception>
    public async Task<BrokerApiConfigDto?> SetAsync(BrokerApiConfigRequest request, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.BrokerId is null) errors["brokerId"] = ["The broker the configuration is for is required."];
        Uri? endpoint = null;
        if (string.IsNullOrWhiteSpace(request.Endpoint)) errors["endpoint"] = ["An endpoint URL is required."];
        else if (!Uri.TryCreate(request.Endpoint.Trim(), UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https")
                 || string.IsNullOrEmpty(endpoint.Host) || endpoint.UserInfo.Length > 0)
            errors["endpoint"] = ["The endpoint must be an absolute http or https URL without user info."];
        else if (await guard.RefusalAsync(endpoint, ct) is { } refusal)
            errors["endpoint"] = [refusal];
        var method = (request.Method ?? "POST").Trim().ToUpperInvariant();
        if (method is not ("POST" or "PUT")) errors["method"] = ["The method must be POST or PUT."];
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in request.Headers ?? new Dictionary<string, string>())
        {
            if (!IsToken(name)) errors[$"headers.{name}"] = ["Not a valid header name."];
            else if (Reserved.Contains(name))
            {
                // Content-Type is always application/json; seed 003's configs name it, so the same value is accepted and dropped.
                if (!(name.Equals("content-type", StringComparison.OrdinalIgnoreCase) && value?.Trim().StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true))
                    errors[$"headers.{name}"] = ["This header is set by LeadRouter."];
            }
            else if (value is null || value.Any(c => c is '\r' or '\n' or '\0') || value.Length > 4000)
                errors[$"headers.{name}"] = ["The value must be a single line of at most 4000 characters."];
            else headers[name] = value;
        }
        var keyHeader = string.IsNullOrWhiteSpace(request.ApiKeyHeader) ? DefaultApiKeyHeader : request.ApiKeyHeader.Trim();
        if (!IsToken(keyHeader) || Reserved.Contains(keyHeader)) errors["apiKeyHeader"] = ["Not a valid header name for the API key."];
        if (request.ApiKey is { } key && (key.Length > 4000 || key.Any(c => c is '\r' or '\n' or '\0')))
            errors["apiKey"] = ["The API key must be a single line of at most 4000 characters."];
        var fieldMap = LeadFieldMap.Check(request.FieldMap);
        foreach (var (field, message) in fieldMap.Errors) errors[field] = [message];
        if (errors.Count > 0) throw new InputException(errors);

        await using var db = await dbs.CreateDbContextAsync(ct);
        var broker = await db.Brokers.SingleOrDefaultAsync(b => b.Id == request.BrokerId && b.DeletedAt == null, ct);
        if (broker is null) return null;
        broker.EndpointUrl = endpoint!.AbsoluteUri;
        broker.EndpointMethod = method;
        broker.EndpointHeaders = headers.Count == 0 ? null : JsonSerializer.Serialize(headers);
        broker.ApiKeyHeader = keyHeader;
        broker.FieldMap = PushBody.Store(fieldMap.Map);
        if (request.Failover is { } failover) broker.FailoverOnDead = failover;
        if (request.ApiKey is { } apiKey) broker.ApiKeyProtected = apiKey.Length == 0 ? null : secrets.Protect(apiKey);
        string? newSecret = null;
        if (broker.SigningSecretProtected is null || request.RotateSecret)
        {
            newSecret = BrokerSecrets.NewSigningSecret();
            broker.SigningSecretProtected = secrets.Protect(newSecret);
        }
        broker.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return Show(broker) with { NewSigningSecret = newSecret };
    }

    /// <summary>A broker's configuration (masked), or null when there is no such broker.</summary>
    public async Task<BrokerApiConfigDto?> GetAsync(long brokerId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Brokers.AsNoTracking().SingleOrDefaultAsync(b => b.Id == brokerId && b.DeletedAt == null, ct) is { } b ? Show(b) : null;
    }

    BrokerApiConfigDto Show(Broker b) => new(
        b.Id, b.EndpointUrl, b.EndpointMethod, HeadersOf(b), b.ApiKeyHeader ?? DefaultApiKeyHeader,
        BrokerSecrets.Mask(b.ApiKeyProtected is { } k ? secrets.Unprotect(k) : null),
        BrokerSecrets.Mask(b.SigningSecretProtected is { } s ? secrets.Unprotect(s) : null), b.AutoPush, b.FailoverOnDead,
        PushBody.Show(PushBody.Load(b.FieldMap)));

    /// <summary>The broker's extra headers.</summary>
    internal static IReadOnlyDictionary<string, string> HeadersOf(Broker b) =>
        b.EndpointHeaders is { } json ? JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [] : new Dictionary<string, string>();

    /// <summary>An RFC 9110 token: the characters a header name may hold.</summary>
    static bool IsToken(string name) =>
        name.Length is > 0 and <= 200 && name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c));
}
