namespace LeadRouter.Domain.Replenishment;

/// <summary>
/// Lead grades as replenishment uses them (seed 001: A+, A, B; C… allowed). Grades are compared after trimming
/// and upper-casing, so <c>"a+"</c> and <c>"A+"</c> are the same grade.
/// </summary>
public static class Grades
{
    /// <summary>The grade as stored in plans and policies: trimmed and upper-case.</summary>
    public static string Normalize(string grade)
    {
        ArgumentNullException.ThrowIfNull(grade);
        return grade.Trim().ToUpperInvariant();
    }

    /// <summary>
    /// Best grade first: by letter (A before B before C), then <c>+</c> before the plain letter before <c>-</c>,
    /// then ordinal. This is the order in which left-over amounts go to grades (see <see cref="ReplenishmentPlanner"/>).
    /// </summary>
    public static IComparer<string> BestFirst { get; } = Comparer<string>.Create(Compare);

    static int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return 1;
        if (y is null) return -1;
        if (x.Length == 0 || y.Length == 0) return y.Length.CompareTo(x.Length);
        var letter = x[0].CompareTo(y[0]);
        if (letter != 0) return letter;
        var suffix = Rank(x[1..]).CompareTo(Rank(y[1..]));
        return suffix != 0 ? suffix : string.CompareOrdinal(x, y);
    }

    static int Rank(string suffix) => suffix switch
    {
        "+" => 0,
        "" => 1,
        "-" => 2,
        _ => 3,
    };
}
