using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Data.Leads.Intake;

// Temporary: replaced by the import pipeline.
public sealed record ImportOptions
{
    public required string FileName { get; init; }
    public ImportPurpose Purpose { get; init; } = ImportPurpose.Agents;
    public string? Source { get; init; }
    public string? SourceColumn { get; init; }
    public IReadOnlyDictionary<string, string> Map { get; init; } = new Dictionary<string, string>();
    public string? Sheet { get; init; }
    public string? DefaultRegion { get; init; }
    public bool SkipInvalid { get; init; }
    public string? ImportedBy { get; init; }
    public IReadOnlyCollection<string>? RequiredColumns { get; init; }
}
public sealed record ImportError(int Row, string? Column, string Message);
public sealed record DuplicateRow(int Row, string IdentityKey);
public sealed record ImportReport(long? ImportId, string FileName, int Rows, int Accepted, int Duplicates, int Rejected, int Warnings,
    IReadOnlyList<ImportError> Errors, IReadOnlyList<ImportError> WarningList, IReadOnlyList<DuplicateRow> DuplicateRows,
    IReadOnlyList<long> SourceIds, bool Stored);
public readonly record struct ImportProgress(long RowsRead, long BytesRead, long TotalBytes);
public sealed class ImportInputException(string message) : Exception(message);
public sealed class LeadImporter(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock)
{
    public Task<ImportReport> ImportAsync(Stream file, ImportOptions options, IProgress<ImportProgress>? progress, CancellationToken ct)
        => throw new NotImplementedException($"{dbs}{clock}");
}
