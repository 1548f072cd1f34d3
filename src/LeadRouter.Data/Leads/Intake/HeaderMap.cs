using System.Text;

namespace LeadRouter.Data.Leads.Intake;

/// <summary>The standard lead fields a column can map to.</summary>
enum LeadField { ExternalId, Name, FirstName, LastName, Email, Phone, Company, Address, City, Country, Source, Amount, Grade, Score }

/// <summary>
/// Which column feeds which field. Headers are compared by <see cref="Normalize"/> (case, spaces and punctuation ignored)
/// against a synonym list; when several columns match one field the better synonym wins (e.g. <c>Mobile</c> over
/// <c>Office Phone</c>, <c>Prospect ID</c> over <c>Customer Id</c>), and the others stay attributes.
/// <see cref="ImportOptions.Map"/> overrides the synonyms. Columns with an empty header are ignored.
/// </summary>
sealed class HeaderMap
{
    // Lower rank = better match for the field.
    static readonly Dictionary<string, (LeadField Field, int Rank)> Synonyms = Build(
        (LeadField.ExternalId, ["id", "leadid", "prospectid", "externalid", "recordid"]),
        (LeadField.ExternalId, ["customerid", "contactid", "accountid", "userid", "clientid"]),
        (LeadField.Name, ["name", "fullname", "leadname", "contactname", "customername", "prospectname"]),
        (LeadField.FirstName, ["firstname", "first", "givenname", "forename"]),
        (LeadField.LastName, ["lastname", "last", "surname", "familyname"]),
        (LeadField.Email, ["email", "emailaddress", "mail", "emailid"]),
        (LeadField.Email, ["email1", "primaryemail", "workemail", "businessemail"]),
        (LeadField.Phone, ["phone", "mobile", "phonenumber", "mobilenumber", "mobilephone", "mobileno", "phoneno"]),
        (LeadField.Phone, ["phone1", "cell", "cellphone", "telephone", "tel", "contactnumber", "whatsapp", "whatsappnumber"]),
        (LeadField.Phone, ["officephone", "workphone", "homephone", "businessphone"]),
        (LeadField.Company, ["company", "companyname", "accountname", "organization", "organisation", "business", "employer"]),
        (LeadField.Address, ["address", "streetaddress", "street", "address1", "addressline1", "primaryaddressstreet"]),
        (LeadField.City, ["city", "town", "primaryaddresscity"]),
        (LeadField.Country, ["country", "countryname", "countrycode", "primaryaddresscountry"]),
        (LeadField.Source, ["source", "leadsource", "sourcename"]),
        (LeadField.Amount, ["amount", "dealamount", "dealvalue", "opportunityamount", "budget", "value"]),
        (LeadField.Grade, ["grade", "priority", "leadgrade"]),
        (LeadField.Score, ["score", "leadscore"]));

    /// <summary>Names accepted as the field part of <c>--map field=Header</c>.</summary>
    static readonly Dictionary<string, LeadField> FieldNames = new()
    {
        ["id"] = LeadField.ExternalId,
        ["externalid"] = LeadField.ExternalId,
        ["name"] = LeadField.Name,
        ["firstname"] = LeadField.FirstName,
        ["lastname"] = LeadField.LastName,
        ["email"] = LeadField.Email,
        ["phone"] = LeadField.Phone,
        ["company"] = LeadField.Company,
        ["address"] = LeadField.Address,
        ["city"] = LeadField.City,
        ["country"] = LeadField.Country,
        ["source"] = LeadField.Source,
        ["amount"] = LeadField.Amount,
        ["grade"] = LeadField.Grade,
        ["score"] = LeadField.Score,
    };

    static Dictionary<string, (LeadField, int)> Build(params (LeadField Field, string[] Names)[] groups)
    {
        var map = new Dictionary<string, (LeadField, int)>();
        for (var rank = 0; rank < groups.Length; rank++)
            foreach (var name in groups[rank].Names) map.Add(name, (groups[rank].Field, rank));
        return map;
    }

    readonly int[] columnOf = Enumerable.Repeat(-1, Enum.GetValues<LeadField>().Length).ToArray();

    /// <summary>Column index of a field, or -1.</summary>
    public int this[LeadField field] => columnOf[(int)field];

    /// <summary>Column of the per-row source (<see cref="ImportOptions.SourceColumn"/>, or a recognised source column), or -1.</summary>
    public int SourceColumn { get; }

    /// <summary>Columns kept in the lead's attributes: index and the key used in the JSON object.</summary>
    public IReadOnlyList<(int Index, string Key)> Attributes { get; }

    /// <summary>The header text of each column, trimmed.</summary>
    public IReadOnlyList<string> Headers { get; }

    public HeaderMap(IReadOnlyList<string> headers, ImportOptions options)
    {
        var trimmed = headers.Select(h => h.Trim().TrimStart('\uFEFF')).ToArray();
        Headers = trimmed;
        var normalized = trimmed.Select(Normalize).ToArray();
        if (trimmed.All(h => h.Length == 0)) throw new ImportInputException($"{options.FileName} has no header row.");

        int Find(string header, string what)
        {
            var exact = Array.FindIndex(trimmed, h => string.Equals(h, header.Trim(), StringComparison.OrdinalIgnoreCase));
            if (exact >= 0) return exact;
            var loose = Normalize(header);
            var index = loose.Length == 0 ? -1 : Array.IndexOf(normalized, loose);
            return index >= 0 ? index
                : throw new ImportInputException($"{options.FileName} has no column '{header}' ({what}). Columns: {string.Join(", ", trimmed.Where(h => h.Length > 0))}.");
        }

        var taken = new bool[trimmed.Length];
        foreach (var (field, header) in options.Map)
        {
            if (!FieldNames.TryGetValue(Normalize(field), out var f))
                throw new ImportInputException($"Unknown field '{field}' in --map. Fields: {string.Join(", ", FieldNames.Keys)}.");
            var index = Find(header, $"--map {field}");
            columnOf[(int)f] = index;
            taken[index] = true;
        }

        var sourceColumn = options.SourceColumn is { } sc ? Find(sc, "--source-column") : -1;
        if (sourceColumn >= 0) taken[sourceColumn] = true;

        var ranks = new int[columnOf.Length];
        for (var i = 0; i < trimmed.Length; i++)
        {
            if (taken[i] || !Synonyms.TryGetValue(normalized[i], out var match)) continue;
            var f = (int)match.Field;
            if (options.Map.Keys.Any(k => FieldNames.TryGetValue(Normalize(k), out var mf) && (int)mf == f)) continue;
            if (columnOf[f] >= 0 && ranks[f] <= match.Rank) continue;
            if (columnOf[f] >= 0) taken[columnOf[f]] = false;
            columnOf[f] = i;
            ranks[f] = match.Rank;
            taken[i] = true;
        }

        // A full name wins over first + last; when both exist, first and last stay attributes.
        if (columnOf[(int)LeadField.Name] >= 0 && !options.Map.Keys.Any(k => Normalize(k) is "firstname" or "lastname"))
        {
            foreach (var part in (LeadField[])[LeadField.FirstName, LeadField.LastName])
            {
                if (columnOf[(int)part] < 0) continue;
                taken[columnOf[(int)part]] = false;
                columnOf[(int)part] = -1;
            }
        }

        var recognised = columnOf[(int)LeadField.Source];
        columnOf[(int)LeadField.Source] = -1;
        if (options.Source is not null)
        {
            // One source for the file: the file's own source columns stay attributes.
            if (recognised >= 0) taken[recognised] = false;
            if (sourceColumn >= 0) taken[sourceColumn] = false;
            sourceColumn = -1;
        }
        else if (sourceColumn >= 0)
        {
            if (recognised >= 0 && recognised != sourceColumn) taken[recognised] = false;
        }
        else sourceColumn = recognised;
        SourceColumn = sourceColumn;

        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var attributes = new List<(int, string)>();
        for (var i = 0; i < trimmed.Length; i++)
        {
            if (taken[i] || trimmed[i].Length == 0) continue;
            var key = trimmed[i];
            for (var n = 2; !keys.Add(key); n++) key = $"{trimmed[i]} ({n})";
            attributes.Add((i, key));
        }
        Attributes = attributes;

        if (options.RequiredColumns is { Count: > 0 } required)
        {
            var missing = required.Where(r => !Has(r)).ToList();
            if (missing.Count > 0)
                throw new ImportInputException($"{options.FileName} lacks required column(s): {string.Join(", ", missing)}.");
        }

        bool Has(string column)
        {
            var n = Normalize(column);
            if (FieldNames.TryGetValue(n, out var f))
            {
                if (f == LeadField.Name) return columnOf[(int)LeadField.Name] >= 0 || columnOf[(int)LeadField.FirstName] >= 0 || columnOf[(int)LeadField.LastName] >= 0;
                if (f == LeadField.Source) return SourceColumn >= 0 || options.Source is not null;
                if (columnOf[(int)f] >= 0) return true;
            }
            return Array.IndexOf(normalized, n) >= 0;
        }
    }

    /// <summary>Lower-case letters and digits only: <c>E-mail Address</c> → <c>emailaddress</c>.</summary>
    public static string Normalize(string header)
    {
        var sb = new StringBuilder(header.Length);
        foreach (var c in header)
            if (char.IsLetterOrDigit(c)) sb.Append(char.ToLowerInvariant(c));
        return sb.ToString();
    }
}
