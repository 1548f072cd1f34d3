using System.Data.Common;

namespace LeadRouter.Data;

/// <summary>Building ADO.NET batches (one round trip for several statements on PostgreSQL).</summary>
public static class DbBatchExtensions
{
    /// <summary>
    /// Adds a statement with positional parameters (<c>$1</c>, <c>$2</c>, … in PostgreSQL's syntax; null is sent as
    /// <c>DBNull</c>) to <paramref name="batch"/> and returns it (e.g. to read its <c>RecordsAffected</c> afterwards).
    /// </summary>
    public static DbBatchCommand Add(this DbBatch batch, string sql, params object?[] values)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(values);
        var command = batch.CreateBatchCommand();
        command.CommandText = sql;
        foreach (var value in values)
        {
            var parameter = command.CreateParameter();
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        batch.BatchCommands.Add(command);
        return command;
    }
}
