namespace LeadRouter.Domain.Brokers;

/// <summary>
/// One entry of a broker's field mapping: the lead field it reads (<see cref="Field"/>, one of
/// <see cref="LeadFieldMap.Fields"/>; for <c>attributes.NAME</c> the field is <c>attributes</c> and <see cref="Attribute"/>
/// is NAME) and the name the receiver gets it under (<see cref="Name"/>).
/// </summary>
public sealed record FieldMapping(string Field, string? Attribute, string Name)
{
    /// <summary>The key as written in a configuration: the field, or <c>attributes.NAME</c>.</summary>
    public string Key => Attribute is null ? Field : $"{LeadFieldMap.AttributesField}.{Attribute}";
}

/// <summary>
/// A broker's push body mapping (seed 003's "optional field mapping per broker"): which lead fields the body carries and
/// under which names, in order. Without a mapping the body is the whole lead; with one it holds exactly the mapped fields.
/// </summary>
public sealed record LeadFieldMap(IReadOnlyList<FieldMapping> Entries)
{
    /// <summary>The lead fields a push body has (its camelCase names), in body order.</summary>
    public static IReadOnlyList<string> Fields { get; } =
        ["id", "externalId", "name", "email", "phone", "company", "address", "city", "country", "amount", "grade", "score", "source", "createdAt", "attributes"];

    /// <summary>The field holding the lead's extra columns; <c>attributes.NAME</c> maps one of them.</summary>
    public const string AttributesField = "attributes";

    /// <summary>Most entries in one mapping.</summary>
    public const int MaxEntries = 100;

    /// <summary>Longest receiver field name, in characters.</summary>
    public const int MaxNameLength = 200;

    /// <summary>
    /// Checks a mapping given as (lead field, receiver name) pairs in body order. Lead fields are matched ignoring case
    /// (<c>Email</c> = <c>email</c>); <c>attributes.NAME</c> takes one attribute (NAME as written, 1–200 characters).
    /// A receiver name is 1–200 characters without control characters, used once. Every problem is reported, keyed
    /// <c>fieldMap.{key}</c> (or <c>fieldMap</c> for the whole mapping).
    /// </summary>
    /// <returns>The mapping (null when <paramref name="entries"/> is null or empty, i.e. the whole lead is sent) or the errors.</returns>
    public static FieldMapCheck Check(IEnumerable<KeyValuePair<string, string?>>? entries)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        var mapped = new List<FieldMapping>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (rawKey, rawName) in entries ?? [])
        {
            var key = rawKey ?? "";
            var errorKey = $"fieldMap.{key}";
            var trimmed = key.Trim();
            string? field = null, attribute = null;
            var dot = trimmed.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0 && trimmed[..dot].Equals(AttributesField, StringComparison.OrdinalIgnoreCase))
            {
                attribute = trimmed[(dot + 1)..];
                if (attribute.Length is 0 or > MaxNameLength) { errors[errorKey] = $"An attribute name must be 1–{MaxNameLength} characters (attributes.NAME)."; continue; }
                field = AttributesField;
            }
            else field = Fields.FirstOrDefault(f => f.Equals(trimmed, StringComparison.OrdinalIgnoreCase));
            if (field is null)
            {
                errors[errorKey] = $"Unknown lead field. Fields: {string.Join(", ", Fields)}, or attributes.NAME for one attribute.";
                continue;
            }

            var entry = new FieldMapping(field, attribute, rawName?.Trim() ?? "");
            if (!keys.Add(entry.Key)) errors[errorKey] = "This lead field is mapped twice.";
            else if (entry.Name.Length is 0 or > MaxNameLength || entry.Name.Any(char.IsControl))
                errors[errorKey] = $"The receiver's name for it must be 1–{MaxNameLength} characters without control characters.";
            else if (!names.Add(entry.Name)) errors[errorKey] = $"Another lead field is already sent as '{entry.Name}'.";
            else mapped.Add(entry);
        }

        if (keys.Count > MaxEntries) errors["fieldMap"] = $"At most {MaxEntries} fields.";
        if (errors.Count > 0) return new FieldMapCheck(null, errors);
        return new FieldMapCheck(mapped.Count == 0 ? null : new LeadFieldMap(mapped), errors);
    }
}

/// <summary>The result of <see cref="LeadFieldMap.Check"/>: the mapping (null = none, send the whole lead) or the problems by field key.</summary>
public sealed record FieldMapCheck(LeadFieldMap? Map, IReadOnlyDictionary<string, string> Errors)
{
    /// <summary>True when there were no problems.</summary>
    public bool Valid => Errors.Count == 0;
}
