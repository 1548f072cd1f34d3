using System.Globalization;

namespace LeadRouter.Domain.Postbacks;

/// <summary>
/// ISO 4217 currencies and their minor units (most 2; the listed exceptions 0, 3 or 4), and exact conversion of an
/// amount to and from minor units (no floating point).
/// </summary>
public static class Currencies
{
    static readonly HashSet<string> Codes = new(
        ("AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF " +
         "CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL " +
         "HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD " +
         "MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF " +
         "SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU " +
         "UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG").Split(' '), StringComparer.Ordinal);

    static readonly Dictionary<string, int> Exceptions = new(StringComparer.Ordinal)
    {
        ["BIF"] = 0,
        ["CLP"] = 0,
        ["DJF"] = 0,
        ["GNF"] = 0,
        ["ISK"] = 0,
        ["JPY"] = 0,
        ["KMF"] = 0,
        ["KRW"] = 0,
        ["PYG"] = 0,
        ["RWF"] = 0,
        ["UGX"] = 0,
        ["UYI"] = 0,
        ["VND"] = 0,
        ["VUV"] = 0,
        ["XAF"] = 0,
        ["XOF"] = 0,
        ["XPF"] = 0,
        ["BHD"] = 3,
        ["IQD"] = 3,
        ["JOD"] = 3,
        ["KWD"] = 3,
        ["LYD"] = 3,
        ["OMR"] = 3,
        ["TND"] = 3,
        ["CLF"] = 4,
        ["UYW"] = 4,
    };

    /// <summary>The upper-case code when <paramref name="code"/> is an ISO 4217 currency, else null.</summary>
    public static string? Normalize(string? code)
    {
        var c = code?.Trim().ToUpperInvariant();
        return c is { Length: 3 } && Codes.Contains(c) ? c : null;
    }

    /// <summary>Digits after the decimal point of a known currency (e.g. USD 2, JPY 0, KWD 3).</summary>
    public static int MinorUnits(string code) => Exceptions.GetValueOrDefault(code, 2);

    /// <summary>
    /// The amount in minor units (USD 12.5 → 1250), or null when it has more decimals than the currency allows or does
    /// not fit in 64 bits.
    /// </summary>
    public static long? ToMinor(decimal amount, string code)
    {
        var scaled = amount;
        for (var i = 0; i < MinorUnits(code); i++) scaled *= 10;
        if (scaled != decimal.Truncate(scaled) || scaled > long.MaxValue || scaled < long.MinValue) return null;
        return (long)scaled;
    }

    /// <summary>Minor units back to the amount, with the currency's number of decimals (1250 USD → 12.50).</summary>
    public static decimal FromMinor(long minor, string code) =>
        // A decimal product's scale is the sum of the scales, so 1250 × 0.01 is 12.50 exactly.
        minor * new decimal(1, 0, 0, false, (byte)MinorUnits(code));

    /// <summary>The amount as text with the currency's decimals, invariant culture (e.g. <c>12.50</c>).</summary>
    public static string Format(long minor, string code) => FromMinor(minor, code).ToString(CultureInfo.InvariantCulture);
}
