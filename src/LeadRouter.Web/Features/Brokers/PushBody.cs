using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using LeadRouter.Data.Leads;
using LeadRouter.Domain.Brokers;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>
/// The JSON body of a push and the stored form of a broker's field mapping. Without a mapping the body is the whole
/// lead: <c>id, externalId, name, email, phone, company, address, city, country, amount, grade, score, source,
/// createdAt, attributes</c> (camelCase, nulls written, attributes as an object). With a mapping it holds exactly the
/// mapped fields, in the mapping's order, under the receiver's names; <c>attributes.NAME</c> takes one attribute (matched
/// as written, else ignoring case; null when the lead lacks it). A test push adds <c>"test": true</c> unless the mapping
/// already sends a field named <c>test</c>.
/// </summary>
static class PushBody
{
    // The body goes to an API, never into HTML: characters such as + and é are written as they are.
    static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The body for <paramref name="lead"/>, whose source is named <paramref name="source"/>.</summary>
    public static string Write(Lead lead, string? source, LeadFieldMap? map, bool test)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            using var attributes = lead.Attributes is { } a ? JsonDocument.Parse(a) : null;
            w.WriteStartObject();
            if (map is null)
            {
                foreach (var field in LeadFieldMap.Fields)
                {
                    w.WritePropertyName(field);
                    WriteValue(w, field, null, lead, source, attributes);
                }
            }
            else
            {
                foreach (var e in map.Entries)
                {
                    w.WritePropertyName(e.Name);
                    WriteValue(w, e.Field, e.Attribute, lead, source, attributes);
                }
            }
            if (test && (map is null || !map.Entries.Any(e => e.Name == "test"))) w.WriteBoolean("test", true);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    static void WriteValue(Utf8JsonWriter w, string field, string? attribute, Lead lead, string? source, JsonDocument? attributes)
    {
        switch (field)
        {
            case "id": w.WriteNumberValue(lead.Id); break;
            case "externalId": Text(w, lead.ExternalId); break;
            case "name": Text(w, lead.Name); break;
            case "email": Text(w, lead.Email); break;
            case "phone": Text(w, lead.Phone); break;
            case "company": Text(w, lead.Company); break;
            case "address": Text(w, lead.Address); break;
            case "city": Text(w, lead.City); break;
            case "country": Text(w, lead.Country); break;
            case "amount":
                // Without the column's trailing zeros (PostgreSQL gives 250.5000), so both databases send 250.5.
                if (lead.Amount is { } amount) w.WriteNumberValue(amount / 1.000000000000000000000000000000000m);
                else w.WriteNullValue();
                break;
            case "grade": Text(w, lead.Grade); break;
            case "score":
                if (lead.Score is { } score) w.WriteNumberValue(score);
                else w.WriteNullValue();
                break;
            case "source": Text(w, source); break;
            case "createdAt": w.WriteStringValue(lead.CreatedAt); break;
            case LeadFieldMap.AttributesField when attribute is null:
                if (attributes is null) w.WriteNullValue();
                else attributes.RootElement.WriteTo(w);
                break;
            case LeadFieldMap.AttributesField:
                if (Attribute(attributes, attribute) is { } value) value.WriteTo(w);
                else w.WriteNullValue();
                break;
            default: throw new InvalidOperationException($"Unknown lead field '{field}'.");
        }
    }

    static void Text(Utf8JsonWriter w, string? value)
    {
        if (value is null) w.WriteNullValue();
        else w.WriteStringValue(value);
    }

    static JsonElement? Attribute(JsonDocument? attributes, string name)
    {
        if (attributes is null || attributes.RootElement.ValueKind != JsonValueKind.Object) return null;
        if (attributes.RootElement.TryGetProperty(name, out var exact)) return exact;
        foreach (var p in attributes.RootElement.EnumerateObject())
            if (p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) return p.Value;
        return null;
    }

    /// <summary>The stored form of a mapping: a JSON object key → name in order, or null for none.</summary>
    public static string? Store(LeadFieldMap? map)
    {
        if (map is null) return null;
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            foreach (var e in map.Entries) w.WriteString(e.Key, e.Name);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The mapping stored by <see cref="Store"/>, or null.</summary>
    /// <exception cref="InvalidOperationException">The stored mapping is no longer valid.</exception>
    public static LeadFieldMap? Load(string? stored)
    {
        if (stored is null) return null;
        using var doc = JsonDocument.Parse(stored);
        var check = LeadFieldMap.Check(doc.RootElement.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.GetString())).ToList());
        return check.Valid ? check.Map : throw new InvalidOperationException($"Stored field mapping is invalid: {string.Join("; ", check.Errors.Values)}");
    }

    /// <summary>The mapping as shown in the API (key → receiver name, in order), or null for none.</summary>
    public static IReadOnlyDictionary<string, string>? Show(LeadFieldMap? map)
    {
        if (map is null) return null;
        var shown = new Dictionary<string, string>(map.Entries.Count, StringComparer.Ordinal);
        foreach (var e in map.Entries) shown[e.Key] = e.Name;
        return shown;
    }
}
