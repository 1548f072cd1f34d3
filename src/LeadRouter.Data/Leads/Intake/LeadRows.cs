namespace LeadRouter.Data.Leads.Intake;

/// <summary>One normalised row: the lead (null when the row is invalid) and the source name it named, if any.</summary>
public sealed record NormalizedRow(Lead? Lead, string? Source);

/// <summary>
/// The rows of <see cref="LeadRows.Normalize"/> in input order, with every error and warning; row numbers in them are
/// those of a file whose header is row 1 (the first row is row 2).
/// </summary>
public sealed record NormalizedRows(IReadOnlyList<NormalizedRow> Rows, IReadOnlyList<ImportError> Errors, IReadOnlyList<ImportError> Warnings);

/// <summary>
/// Normalises leads that arrive as in-memory rows (the intake API) with the file importer's own header mapping and
/// <see cref="LeadRowNormalizer"/>, so an API lead and a file row can never disagree. Nothing is stored.
/// </summary>
public static class LeadRows
{
    /// <summary>Normalises <paramref name="rows"/> (one value per header, null = empty) under <paramref name="options"/>.</summary>
    /// <exception cref="ImportInputException">The options cannot be used (unknown default region, a mapped header that is missing).</exception>
    public static NormalizedRows Normalize(IReadOnlyList<string> headers, IReadOnlyList<string?[]> rows, ImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(options);
        using var reader = new MemoryRowReader(headers, rows);
        var normalizer = new LeadRowNormalizer(new HeaderMap(headers, options), options);
        var errors = new List<ImportError>();
        var warnings = new List<ImportError>();
        var normalized = new List<NormalizedRow>(rows.Count);
        while (reader.Read())
        {
            var lead = normalizer.Normalize(reader, errors, warnings, out var source);
            normalized.Add(new NormalizedRow(lead, source));
        }
        return new NormalizedRows(normalized, errors, warnings);
    }

    /// <summary>Rows held in memory, read forward; row numbers as in a file whose header is row 1.</summary>
    sealed class MemoryRowReader(IReadOnlyList<string> headers, IReadOnlyList<string?[]> rows) : LeadFileReader
    {
        int index = -1;

        public override IReadOnlyList<string> Headers => headers;
        public override int RowNumber => index + 2;
        public override int FieldCount => rows[index].Length;
        public override string GetString(int ordinal) => rows[index][ordinal] ?? "";
        public override long BytesRead => 0;

        public bool Read() => ++index < rows.Count;

        public override ValueTask<bool> ReadAsync(CancellationToken ct) => ValueTask.FromResult(Read());

        public override void Dispose() { }
    }
}
