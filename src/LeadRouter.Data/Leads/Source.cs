namespace LeadRouter.Data.Leads;

/// <summary>
/// Where leads come from (META, GOOGLE…). <see cref="Key"/> is the trimmed, lower-cased name used for matching;
/// <see cref="Name"/> is the first spelling seen, used for display (seed 000).
/// </summary>
public sealed class Source
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public required string Key { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The matching key for a source name: trimmed and lower-cased (invariant culture).</summary>
    public static string KeyOf(string name) => name.Trim().ToLowerInvariant();
}
