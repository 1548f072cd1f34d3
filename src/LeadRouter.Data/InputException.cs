namespace LeadRouter.Data;

/// <summary>
/// Bad input from a user or caller: each entry names the field (or column) and why. The API answers 400 with a
/// validation problem body; the CLI exits with code 2. Nothing was changed when this is thrown.
/// </summary>
public sealed class InputException(IReadOnlyDictionary<string, string[]> errors)
    : Exception(string.Join("; ", errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}"))))
{
    /// <summary>Problems by field name.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;

    /// <summary>One problem with one field.</summary>
    public InputException(string field, string message) : this(new Dictionary<string, string[]> { [field] = [message] }) { }
}
