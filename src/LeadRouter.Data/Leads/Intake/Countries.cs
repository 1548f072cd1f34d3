using System.Globalization;

namespace LeadRouter.Data.Leads.Intake;

/// <summary>
/// Country names and codes → ISO 3166-1 alpha-2. Built from .NET's region data (alpha-2, alpha-3, English and native
/// names of every region ICU knows) plus common aliases and older names. Lookups ignore case, accents, spaces and
/// punctuation. Anything else (<c>unknown</c>, <c>Asia/Pacific Region</c>) is not a country.
/// </summary>
static class Countries
{
    static readonly Dictionary<string, string> ByKey = Build();

    public static string? ToAlpha2(string value)
    {
        var key = Key(value);
        return key.Length == 0 ? null : ByKey.GetValueOrDefault(key);
    }

    static Dictionary<string, string> Build()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(string name, string code)
        {
            var key = Key(name);
            if (key.Length > 0) map.TryAdd(key, code);
        }

        var regions = new Dictionary<string, RegionInfo>(StringComparer.Ordinal);
        foreach (var culture in CultureInfo.GetCultures(CultureTypes.SpecificCultures))
        {
            try
            {
                var region = new RegionInfo(culture.Name);
                if (region.TwoLetterISORegionName.Length == 2 && char.IsLetter(region.TwoLetterISORegionName[0]))
                    regions.TryAdd(region.TwoLetterISORegionName, region);
            }
            catch (ArgumentException)
            {
                // A culture without a region: nothing to add.
            }
        }
        // Regions no culture names (territories, small states) are still known to RegionInfo by their code.
        for (var a = 'A'; a <= 'Z'; a++)
            for (var b = 'A'; b <= 'Z'; b++)
            {
                var code = $"{a}{b}";
                if (regions.ContainsKey(code) || code is "EU" or "UN" or "EZ" or "QO" or "XK" or "ZZ") continue;
                try
                {
                    var region = new RegionInfo(code);
                    if (region.TwoLetterISORegionName == code && region.ThreeLetterISORegionName.Length == 3) regions.TryAdd(code, region);
                }
                catch (ArgumentException)
                {
                    // Not a region.
                }
            }

        foreach (var (code, region) in regions)
        {
            Add(code, code);
            Add(region.ThreeLetterISORegionName, code);
            Add(region.EnglishName, code);
            Add(region.NativeName, code);
            Add(region.DisplayName, code);
            foreach (var suffix in (string[])[" SAR", " SAR China", " S.A.R.", " (SAR)"])
                if (region.EnglishName.EndsWith(suffix, StringComparison.Ordinal)) Add(region.EnglishName[..^suffix.Length], code);
        }

        (string Name, string Code)[] aliases =
        [
            ("USA", "US"), ("U.S.A.", "US"), ("U.S.", "US"), ("United States of America", "US"), ("America", "US"),
            ("UK", "GB"), ("U.K.", "GB"), ("Great Britain", "GB"), ("Britain", "GB"), ("England", "GB"), ("Scotland", "GB"),
            ("Wales", "GB"), ("Northern Ireland", "GB"), ("UAE", "AE"), ("Emirates", "AE"), ("Russia", "RU"),
            ("Russian Federation", "RU"), ("South Korea", "KR"), ("Korea", "KR"), ("Republic of Korea", "KR"),
            ("Korea, Republic of", "KR"), ("North Korea", "KP"), ("Korea, Democratic People's Republic of", "KP"),
            ("Vietnam", "VN"), ("Viet Nam", "VN"), ("Iran", "IR"), ("Iran, Islamic Republic of", "IR"), ("Syria", "SY"),
            ("Syrian Arab Republic", "SY"), ("Libya", "LY"), ("Libyan Arab Jamahiriya", "LY"), ("Laos", "LA"),
            ("Lao People's Democratic Republic", "LA"), ("Moldova", "MD"), ("Moldova, Republic of", "MD"), ("Tanzania", "TZ"),
            ("Bolivia", "BO"), ("Venezuela", "VE"), ("Czech Republic", "CZ"), ("Czechia", "CZ"), ("Macedonia", "MK"),
            ("North Macedonia", "MK"), ("Holland", "NL"), ("The Netherlands", "NL"), ("Taiwan", "TW"), ("Hong Kong", "HK"),
            ("Macau", "MO"), ("Macao", "MO"), ("Palestine", "PS"), ("Palestinian Territory", "PS"), ("Vatican", "VA"),
            ("Holy See", "VA"), ("Holy See (Vatican City State)", "VA"), ("Vatican City", "VA"), ("Ivory Coast", "CI"),
            ("Cote d'Ivoire", "CI"), ("Cape Verde", "CV"), ("Swaziland", "SZ"), ("Eswatini", "SZ"), ("Burma", "MM"),
            ("Myanmar", "MM"), ("East Timor", "TL"), ("Timor-Leste", "TL"), ("Congo", "CG"), ("Republic of the Congo", "CG"),
            ("Democratic Republic of the Congo", "CD"), ("DR Congo", "CD"), ("DRC", "CD"), ("Congo, The Democratic Republic of the", "CD"),
            ("Brunei", "BN"), ("Brunei Darussalam", "BN"), ("Micronesia", "FM"), ("Micronesia, Federated States of", "FM"),
            ("Saint Kitts and Nevis", "KN"), ("St Kitts and Nevis", "KN"), ("Saint Lucia", "LC"), ("St Lucia", "LC"),
            ("Saint Vincent and the Grenadines", "VC"), ("Saint Barthelemy", "BL"), ("Saint Martin", "MF"), ("Sint Maarten", "SX"),
            ("Svalbard & Jan Mayen Islands", "SJ"), ("Svalbard and Jan Mayen", "SJ"), ("Wallis and Futuna", "WF"),
            ("Heard Island and McDonald Islands", "HM"), ("South Georgia and the South Sandwich Islands", "GS"),
            ("United States Minor Outlying Islands", "UM"), ("British Indian Ocean Territory (Chagos Archipelago)", "IO"),
            ("Falkland Islands (Malvinas)", "FK"), ("Falkland Islands", "FK"), ("Netherlands Antilles", "CW"),
            ("Bouvet Island (Bouvetoya)", "BV"), ("Pitcairn Islands", "PN"), ("Reunion", "RE"), ("Curacao", "CW"),
            ("Turkey", "TR"), ("Turkiye", "TR"), ("Slovakia (Slovak Republic)", "SK"), ("Kyrgyz Republic", "KG"),
            ("Antarctica (the territory South of 60 deg S)", "AQ"), ("Faroe Islands", "FO"), ("Virgin Islands, British", "VG"),
            ("Virgin Islands, U.S.", "VI"), ("British Virgin Islands", "VG"), ("US Virgin Islands", "VI"), ("United States Virgin Islands", "VI"),
            ("Cocos (Keeling) Islands", "CC"), ("Saint Helena", "SH"), ("Saint Pierre and Miquelon", "PM"),
            ("Sao Tome and Principe", "ST"), ("Bosnia", "BA"), ("Bosnia and Herzegovina", "BA"), ("Trinidad", "TT"),
            ("Guinea-Bissau", "GW"), ("Western Sahara", "EH"), ("Kosovo", "XK"),
        ];
        foreach (var (name, code) in aliases) map[Key(name)] = code;
        return map;
    }

    /// <summary>Letters only, lower-case, accents removed, "&amp;" read as "and".</summary>
    static string Key(string value)
    {
        var decomposed = value.Replace("&", " and ", StringComparison.Ordinal).Normalize(System.Text.NormalizationForm.FormD);
        Span<char> buffer = decomposed.Length <= 256 ? stackalloc char[decomposed.Length] : new char[decomposed.Length];
        var n = 0;
        foreach (var c in decomposed)
            if (char.IsLetter(c) && CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark) buffer[n++] = char.ToLowerInvariant(c);
        return new string(buffer[..n]);
    }
}
