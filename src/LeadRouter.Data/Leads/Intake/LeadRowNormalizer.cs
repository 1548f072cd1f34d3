using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using PhoneNumbers;

namespace LeadRouter.Data.Leads.Intake;

/// <summary>
/// Turns one file row into a <see cref="Lead"/>: trims, blanks placeholders, validates the e-mail, formats the phone as
/// E.164, maps the country to ISO alpha-2, parses amount and score, collects unmapped columns into the attributes and
/// derives the identity key. Problems that make the row unusable are errors; the rest are warnings.
/// </summary>
sealed class LeadRowNormalizer
{
    const int MaxKeyLength = 320;
    static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();
    static readonly SearchValues<char> Digits = SearchValues.Create("0123456789");
    static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    readonly HeaderMap map;
    readonly ImportOptions options;
    readonly LeadStatus status;
    readonly string region;
    readonly int lastUsefulColumn;
    readonly Dictionary<string, string?> countryCache = new(StringComparer.Ordinal);
    readonly ArrayBufferWriter<byte> json = new(1024);
    readonly Utf8JsonWriter writer;

    public LeadRowNormalizer(HeaderMap map, ImportOptions options)
    {
        this.map = map;
        this.options = options;
        status = options.Purpose == ImportPurpose.Reserve ? LeadStatus.Reserve : LeadStatus.New;
        region = string.IsNullOrWhiteSpace(options.DefaultRegion) ? "ZZ" : options.DefaultRegion.Trim().ToUpperInvariant();
        if (region != "ZZ" && !Phones.GetSupportedRegions().Contains(region))
            throw new ImportInputException($"Unknown phone region '{options.DefaultRegion}' (use an ISO code such as US or IN).");
        for (var i = 0; i < map.Headers.Count; i++) if (map.Headers[i].Length > 0) lastUsefulColumn = i;
        writer = new Utf8JsonWriter(json, JsonOptions);
    }

    /// <summary>True when every field of the current record is empty or white space (a blank line, or a line of delimiters).</summary>
    public static bool IsBlank(LeadFileReader row)
    {
        for (var i = 0; i < row.FieldCount; i++) if (!string.IsNullOrWhiteSpace(row.GetString(i))) return false;
        return true;
    }

    /// <summary>The normalised lead of the current record, or null when the row is invalid (its errors added).</summary>
    public Lead? Normalize(LeadFileReader row, List<ImportError> errors, List<ImportError> warnings, out string? source)
    {
        var rowNumber = row.RowNumber;
        var errorCount = errors.Count;
        json.ResetWrittenCount();
        writer.Reset(json);
        writer.WriteStartObject();
        var attributes = 0;

        void Attribute(string key, string value)
        {
            writer.WriteString(key, value);
            attributes++;
        }

        string? Field(LeadField field)
        {
            var index = map[field];
            return index < 0 ? null : Clean(row.GetString(index));
        }

        string Header(LeadField field) => map.Headers[map[field]];

        foreach (var (index, key) in map.Attributes)
            if (Clean(row.GetString(index)) is { } value) Attribute(key, value);

        if (row.FieldCount > map.Headers.Count)
        {
            var extra = 0;
            for (var i = map.Headers.Count; i < row.FieldCount; i++)
                if (Clean(row.GetString(i)) is { } value)
                {
                    Attribute($"Column {i + 1}", value);
                    extra++;
                }
            if (extra > 0)
                warnings.Add(new(rowNumber, null, $"The row has {row.FieldCount} fields but the header has {map.Headers.Count}; the extra values are kept as attributes."));
        }
        else if (row.FieldCount <= lastUsefulColumn)
            warnings.Add(new(rowNumber, null, $"The row has {row.FieldCount} fields but the header has {lastUsefulColumn + 1}; the missing ones are empty."));

        source = options.Source is { } fixedSource ? Clean(fixedSource)
            : map.SourceColumn >= 0 ? Clean(row.GetString(map.SourceColumn)) : null;

        var externalId = Field(LeadField.ExternalId);
        var name = Field(LeadField.Name);
        if (name is null && (Field(LeadField.FirstName), Field(LeadField.LastName)) is var (first, last) && (first ?? last) is not null)
            name = first is null ? last : last is null ? first : $"{first} {last}";

        var email = Field(LeadField.Email)?.ToLowerInvariant();
        if (email is not null && !IsEmail(email))
            errors.Add(new(rowNumber, Header(LeadField.Email), $"'{email}' is not a valid e-mail address."));

        string? phone = null;
        var phoneValid = false;
        if (Field(LeadField.Phone) is { } phoneText)
        {
            (phone, phoneValid, var extension) = ParsePhone(phoneText);
            if (extension is not null) Attribute($"{Header(LeadField.Phone)} extension", extension);
            if (phone is null)
            {
                Attribute(Header(LeadField.Phone), phoneText);
                warnings.Add(new(rowNumber, Header(LeadField.Phone), $"'{phoneText}' is not a phone number; kept in the attributes."));
            }
            else if (!phoneValid)
                warnings.Add(new(rowNumber, Header(LeadField.Phone), $"'{phoneText}' is not a valid phone number{(region == "ZZ" && phone[0] != '+' ? " (no country code, and no default region)" : "")}; kept as {phone}."));
        }

        string? country = null;
        if (Field(LeadField.Country) is { } countryText)
        {
            if (!countryCache.TryGetValue(countryText, out country))
                countryCache[countryText] = country = Countries.ToAlpha2(countryText);
            if (country is null)
            {
                Attribute(Header(LeadField.Country), countryText);
                warnings.Add(new(rowNumber, Header(LeadField.Country), $"'{countryText}' is not a known country; kept in the attributes."));
            }
        }

        decimal? amount = null;
        if (Field(LeadField.Amount) is { } amountText)
        {
            if (TryParseAmount(amountText, out var a)) amount = a;
            else
            {
                Attribute(Header(LeadField.Amount), amountText);
                warnings.Add(new(rowNumber, Header(LeadField.Amount), $"'{amountText}' is not an amount; kept in the attributes."));
            }
        }

        double? score = null;
        if (Field(LeadField.Score) is { } scoreText)
        {
            if (double.TryParse(scoreText.TrimEnd('%'), NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var s) && double.IsFinite(s)) score = s;
            else
            {
                Attribute(Header(LeadField.Score), scoreText);
                warnings.Add(new(rowNumber, Header(LeadField.Score), $"'{scoreText}' is not a score; kept in the attributes."));
            }
        }

        var company = Field(LeadField.Company);
        var city = Field(LeadField.City);
        var identityKey =
            externalId is not null ? "id:" + externalId
            : email is not null ? "email:" + email
            : phone is not null ? "phone:" + phone
            : name is not null ? NameKey(name, company, city)
            : null;
        if (identityKey is null)
            errors.Add(new(rowNumber, null, "Nothing identifies the lead: no id, e-mail, phone or name."));
        else if (identityKey.Length > MaxKeyLength)
            errors.Add(new(rowNumber, externalId is not null ? Header(LeadField.ExternalId) : null, $"The identity is longer than {MaxKeyLength - 6} characters."));

        writer.WriteEndObject();
        writer.Flush();
        if (errors.Count > errorCount) return null;

        return new Lead
        {
            IdentityKey = identityKey!,
            ExternalId = externalId,
            Name = name,
            Email = email,
            Phone = phone,
            PhoneValid = phoneValid,
            Company = company,
            Address = Field(LeadField.Address),
            City = city,
            Country = country,
            Amount = amount,
            Grade = Field(LeadField.Grade)?.ToUpperInvariant(),
            Score = score,
            Status = status,
            Attributes = attributes == 0 ? null : Encoding.UTF8.GetString(json.WrittenSpan),
        };
    }

    /// <summary>
    /// Trimmed value, or null for empty and placeholder values (Select, N/A, NA, null, -). NUL characters are removed first:
    /// they are never meaningful in a lead, and PostgreSQL text cannot hold them (the row would fail only there).
    /// </summary>
    internal static string? Clean(string? value)
    {
        if (value is not null && value.Contains('\0', StringComparison.Ordinal)) value = value.Replace("\0", "", StringComparison.Ordinal);
        var span = value.AsSpan().Trim();
        if (span.IsEmpty) return null;
        if (span.Length <= 6 && (span is "-" or "--"
            || span.Equals("select", StringComparison.OrdinalIgnoreCase) || span.Equals("n/a", StringComparison.OrdinalIgnoreCase)
            || span.Equals("na", StringComparison.OrdinalIgnoreCase) || span.Equals("null", StringComparison.OrdinalIgnoreCase)
            || span.Equals("#n/a", StringComparison.OrdinalIgnoreCase)))
            return null;
        return span.Length == value!.Length ? value : span.ToString();
    }

    /// <summary>
    /// A pragmatic address check (what mail systems accept in practice, not every RFC 5322 form): one <c>@</c>, a local
    /// part of printable ASCII without quotes, spaces or brackets and without leading, trailing or double dots, and a
    /// domain of at least two dot-separated labels of letters, digits and hyphens (international letters allowed).
    /// </summary>
    internal static bool IsEmail(string email)
    {
        var at = email.IndexOf('@');
        if (at <= 0 || at > 64 || at == email.Length - 1 || email.Length > 254 || email.IndexOf('@', at + 1) >= 0) return false;
        var local = email.AsSpan(0, at);
        if (local[0] == '.' || local[^1] == '.' || local.Contains("..", StringComparison.Ordinal)) return false;
        foreach (var c in local)
            if (c <= ' ' || c is '"' or '(' or ')' or ',' or ':' or ';' or '<' or '>' or '[' or '\\' or ']' or (char)127) return false;
        var labels = 0;
        foreach (var range in email.AsSpan(at + 1).Split('.'))
        {
            var label = email.AsSpan(at + 1)[range];
            if (label.IsEmpty || label.Length > 63 || label[0] == '-' || label[^1] == '-') return false;
            foreach (var c in label)
                if (!char.IsLetterOrDigit(c) && c != '-') return false;
            labels++;
        }
        return labels >= 2;
    }

    (string? Phone, bool Valid, string? Extension) ParsePhone(string text)
    {
        // Without a default region only "+country …" numbers can parse; skip the (throwing) parse for the rest.
        var international = text.AsSpan().TrimStart() is ['+', ..] or ['\uFF0B', ..];
        if (region != "ZZ" || international)
        {
            try
            {
                var number = Phones.Parse(text, region);
                if (Phones.IsPossibleNumber(number))
                    return (Phones.Format(number, PhoneNumberFormat.E164), Phones.IsValidNumber(number),
                        string.IsNullOrEmpty(number.Extension) ? null : number.Extension);
            }
            catch (NumberParseException)
            {
                // Falls through to the digits.
            }
        }
        // Keep the digits (and a leading +), without an extension written as x123 / ext 123.
        var main = text.AsSpan();
        var ext = main.IndexOfAny('x', 'X');
        if (ext < 0) ext = main.IndexOf("ext", StringComparison.OrdinalIgnoreCase);
        string? extension = null;
        if (ext > 0)
        {
            var tail = new string(main[ext..].ToArray().Where(char.IsAsciiDigit).ToArray());
            extension = tail.Length > 0 ? tail : null;
            main = main[..ext];
        }
        var sb = new StringBuilder(main.Length);
        foreach (var c in main)
            if (char.IsAsciiDigit(c) || (c == '+' && sb.Length == 0)) sb.Append(c);
        return main.IndexOfAny(Digits) < 0 ? (null, false, null) : (sb.ToString(), false, extension);
    }

    internal static bool TryParseAmount(string text, out decimal amount)
    {
        // Currency symbols or codes around the number are ignored; letters inside it make it no amount.
        amount = 0;
        var first = text.AsSpan().IndexOfAny(Digits);
        var last = text.AsSpan().LastIndexOfAny(Digits);
        if (first < 0) return false;
        var negative = text.AsSpan(0, first).IndexOfAny('-', '(') >= 0;
        var sb = new StringBuilder(last - first + 1);
        foreach (var c in text.AsSpan(first, last - first + 1))
        {
            if (char.IsAsciiDigit(c) || c is '.' or ',') sb.Append(c);
            else if (!char.IsWhiteSpace(c) && c is not '\'' and not '\u00A0' and not '\u202F') return false;
        }
        var s = sb.ToString();
        var lastDot = s.LastIndexOf('.');
        var lastComma = s.LastIndexOf(',');
        if (lastDot >= 0 && lastComma >= 0)
            s = lastDot > lastComma ? s.Replace(",", "") : s.Replace(".", "").Replace(',', '.');
        else if (lastComma >= 0)
        {
            // 1,234 and 1,234,567 (or Indian 1,50,000) are thousands; 12,5 is a decimal comma.
            var groups = s.Split(',');
            s = groups[^1].Length == 3 && groups.Skip(1).All(g => g.Length is 2 or 3) ? s.Replace(",", "")
                : groups.Length == 2 ? s.Replace(',', '.') : "";
        }
        if (s.Length == 0 || !decimal.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out amount))
        {
            amount = 0;
            return false;
        }
        if (negative) amount = -amount;
        return true;
    }

    /// <summary>
    /// The key of a lead known only by name: <c>name:</c> + name, company and city, lower-cased with single spaces, so the
    /// same person re-imported (same name, company, city) is a duplicate, and namesakes elsewhere are not.
    /// </summary>
    static string NameKey(string name, string? company, string? city) =>
        $"name:{Fold(name)}|{Fold(company)}|{Fold(city)}";

    static string Fold(string? value) =>
        value is null ? "" : string.Join(' ', value.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
