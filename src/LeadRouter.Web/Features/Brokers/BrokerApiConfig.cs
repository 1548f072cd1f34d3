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

/// <summary>What a previewed configuration does with the stored API key.</summary>
public enum ApiKeyChange
{
    /// <summary>The file has no <c>apiKey</c>: the stored key stays.</summary>
    Keep,
    /// <summary>The file sets a key.</summary>
    Set,
    /// <summary>The file's <c>apiKey</c> is empty: the stored key is removed.</summary>
    Remove,
}

/// <summary>
/// A configuration file checked without saving: the values that would be stored (the API key only masked), every
/// problem by field (<c>json</c> for a file that is not a JSON object) and notes (ignored fields, headers LeadRouter sets).
/// <paramref name="Request"/> is the file as <see cref="BrokerApiConfig.SetAsync"/> takes it, or null when it could not be read.
/// </summary>
public sealed record BrokerApiConfigPreview(
    BrokerApiConfigRequest? Request, string? Endpoint, string? Method, IReadOnlyDictionary<string, string> Headers, string? ApiKeyHeader,
    string? ApiKey, ApiKeyChange? ApiKeyChange, IReadOnlyDictionary<string, string[]> Errors, IReadOnlyList<string> Notes)
{
    /// <summary>True when saving would be accepted.</summary>
    public bool IsValid => Request is not null && Errors.Count == 0;
}

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
        var (errors, endpoint, method, headers, keyHeader, _, fieldMap) = await CheckAsync(request, ct);
        if (errors.Count > 0) throw new InputException(errors);

        await using var db = await dbs.CreateDbContextAsync(ct);
        var broker = await db.Brokers.SingleOrDefaultAsync(b => b.Id == request.BrokerId && b.DeletedAt == null, ct);
        if (broker is null) return null;
        broker.EndpointUrl = endpoint!.AbsoluteUri;
        broker.EndpointMethod = method;
        broker.EndpointHeaders = headers.Count == 0 ? null : JsonSerializer.Serialize(headers);
        broker.ApiKeyHeader = keyHeader;
        broker.FieldMap = PushBody.Store(fieldMap);
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

    /// <summary>
    /// Checks a configuration as <see cref="SetAsync"/> would, without storing it: every problem by field, and the values
    /// that would be stored (endpoint, upper-case method, the headers kept, the API key header).
    /// </summary>
    async Task<Checked> CheckAsync(BrokerApiConfigRequest request, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var notes = new List<string>();
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
                else notes.Add($"{name}: {value} is always sent; the header is not stored.");
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
        return new Checked(errors, endpoint, method, headers, keyHeader, notes, fieldMap.Map);
    }

    sealed record Checked(Dictionary<string, string[]> Errors, Uri? Endpoint, string Method, Dictionary<string, string> Headers,
        string KeyHeader, List<string> Notes, LeadFieldMap? FieldMap);

    /// <summary>
    /// Reads an uploaded or pasted configuration file (seed 003's JSON: <c>endpoint</c>, <c>apiKey</c>, <c>method</c>,
    /// <c>headers</c>; optionally <c>apiKeyHeader</c>, <c>failover</c>, <c>rotateSecret</c>) for broker
    /// <paramref name="brokerId"/> and checks it exactly as saving would, storing nothing. The preview shows the API key
    /// only masked; <see cref="BrokerApiConfigPreview.Request"/> is what to pass to <see cref="SetAsync"/> to save it.
    /// </summary>
    public async Task<BrokerApiConfigPreview> PreviewAsync(long brokerId, string json, CancellationToken ct)
    {
        var (request, errors, notes) = ParseDocument(brokerId, json);
        if (request is null) return new BrokerApiConfigPreview(null, null, null, new Dictionary<string, string>(), null, null, null, errors, notes);
        var c = await CheckAsync(request, ct);
        foreach (var (field, messages) in c.Errors) errors[field] = messages;
        notes.AddRange(c.Notes);
        if (!errors.ContainsKey("brokerId"))
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var broker = await db.Brokers.Where(b => b.Id == brokerId && b.DeletedAt == null)
                .Select(b => new { HasSecret = b.SigningSecretProtected != null }).SingleOrDefaultAsync(ct);
            if (broker is null) errors["brokerId"] = [$"There is no broker {brokerId}."];
            else if (!broker.HasSecret || request.RotateSecret)
                notes.Add("Saving makes a new signing secret, shown once: give it to the broker to verify pushes.");
        }

        return new BrokerApiConfigPreview(request, c.Endpoint?.AbsoluteUri ?? request.Endpoint, c.Method, c.Headers, c.KeyHeader,
            request.ApiKey is { Length: > 0 } key ? BrokerSecrets.Mask(key) : null, request.ApiKey switch { null => ApiKeyChange.Keep, "" => ApiKeyChange.Remove, _ => ApiKeyChange.Set },
            errors, notes);
    }

    static readonly HashSet<string> DocumentFields = new(
        ["brokerId", "endpoint", "apiKey", "method", "headers", "apiKeyHeader", "rotateSecret", "failover", "fieldMap"], StringComparer.OrdinalIgnoreCase);

    /// <summary>The file as a request for <paramref name="brokerId"/>; on a JSON error, null and the error by field.</summary>
    static (BrokerApiConfigRequest? Request, Dictionary<string, string[]> Errors, List<string> Notes) ParseDocument(long brokerId, string json)
    {
        var errors = new Dictionary<string, string[]>();
        var notes = new List<string>();
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            errors["json"] = [$"Not valid JSON: {e.Message}"];
            return (null, errors, notes);
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            errors["json"] = ["The configuration must be a JSON object with endpoint, apiKey, method and headers."];
            return (null, errors, notes);
        }

        foreach (var p in root.EnumerateObject().Where(p => !DocumentFields.Contains(p.Name)))
            notes.Add($"Unknown field '{p.Name}' is ignored.");
        BrokerApiConfigRequest request;
        try
        {
            request = root.Deserialize<BrokerApiConfigRequest>(DocumentJson)!;
        }
        catch (JsonException e)
        {
            var field = (e.Path ?? "$").TrimStart('$').TrimStart('.');
            errors[field.Length == 0 ? "json" : field] = ["Wrong type for this field (text, or an object of text values for headers)."];
            return (null, errors, notes);
        }

        if (request.BrokerId is { } fileBroker && fileBroker != brokerId)
            errors["brokerId"] = [$"The file is for broker {fileBroker}, not broker {brokerId}."];
        return (request with { BrokerId = brokerId }, errors, notes);
    }

    static readonly JsonSerializerOptions DocumentJson = new(JsonSerializerDefaults.Web) { AllowTrailingCommas = true };

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
