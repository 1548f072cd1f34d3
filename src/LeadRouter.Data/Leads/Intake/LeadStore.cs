using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace LeadRouter.Data.Leads.Intake;

/// <summary>
/// The import's hot path on the context's own connection and transaction: inserts leads with
/// <c>INSERT … ON CONFLICT ("IdentityKey") DO NOTHING</c>, so the database itself tells which rows are duplicates (of the
/// file's earlier rows or of any stored lead, also under concurrent imports), and finds or creates sources the same way.
/// Table and column names, types and value conversions come from the EF model.
/// <list type="bullet">
/// <item>SQLite: one prepared single-row INSERT executed per lead; the affected-row count (1 or 0) says inserted or duplicate.
/// Cheap on SQLite (no network), and it binds a handful of parameters instead of thousands.</item>
/// <item>PostgreSQL: one <c>INSERT … SELECT * FROM unnest(@c0::type[], …) ON CONFLICT DO NOTHING RETURNING "IdentityKey"</c>
/// per batch of <see cref="BatchSize"/> leads: one round trip and one parameter per column.</item>
/// </list>
/// </summary>
sealed class LeadStore : IAsyncDisposable
{
    readonly LeadRouterDb db;
    readonly IDbContextTransaction transaction;
    readonly bool postgres;
    readonly Column[] leadColumns;
    readonly string leadTable;
    readonly string identityColumn;
    readonly Dictionary<string, long> sourceIds = new(StringComparer.Ordinal);
    DbCommand? sqliteInsert;
    DbCommand? sourceInsert;
    DbCommand? sourceSelect;

    sealed record Column(string Name, IProperty Property, RelationalTypeMapping Mapping, IClrPropertyGetter Getter, string StoreType)
    {
        public object Value(object entity)
        {
            var value = Getter.GetClrValue(entity);
            if (value is not null && Mapping.Converter is { } converter) value = converter.ConvertToProvider(value);
            return value is DateTimeOffset t ? t.ToUniversalTime() : value ?? DBNull.Value;
        }

        public Type ProviderType
        {
            get
            {
                var type = Mapping.Converter?.ProviderClrType ?? Property.ClrType;
                type = Nullable.GetUnderlyingType(type) ?? type;
                return type.IsValueType ? typeof(Nullable<>).MakeGenericType(type) : type;
            }
        }
    }

    LeadStore(LeadRouterDb db, IDbContextTransaction transaction)
    {
        this.db = db;
        this.transaction = transaction;
        postgres = db.Database.IsNpgsql();
        var sql = db.GetService<ISqlGenerationHelper>();
        var lead = db.Model.FindEntityType(typeof(Lead))!;
        leadTable = sql.DelimitIdentifier(lead.GetTableName()!, lead.GetSchema());
        leadColumns = Columns(lead, sql);
        identityColumn = sql.DelimitIdentifier(lead.FindProperty(nameof(Lead.IdentityKey))!.GetColumnName());
    }

    /// <summary>Leads per write: 5,000 per unnest statement on PostgreSQL; on SQLite a flush size only.</summary>
    public int BatchSize => postgres ? 5000 : 1000;

    public static async Task<LeadStore> BeginAsync(LeadRouterDb db, CancellationToken ct)
    {
        var transaction = await db.Database.BeginTransactionAsync(ct);
        return new LeadStore(db, transaction);
    }

    static Column[] Columns(IEntityType entity, ISqlGenerationHelper sql)
    {
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        return entity.GetProperties()
            .Where(p => !(p.IsPrimaryKey() && p.ValueGenerated != ValueGenerated.Never) && !p.IsShadowProperty())
            .Select(p => new Column(sql.DelimitIdentifier(p.GetColumnName(table)!), p, (RelationalTypeMapping)p.GetTypeMapping(),
                p.GetGetter(), p.GetColumnType(table)))
            .ToArray();
    }

    DbCommand Command(string text)
    {
        var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = transaction.GetDbTransaction();
        command.CommandText = text;
        command.CommandTimeout = 0;
        return command;
    }

    /// <summary>Inserts the leads; <paramref name="inserted"/>[i] is false when lead i's identity key was already known.</summary>
    public async Task InsertAsync(IReadOnlyList<Lead> leads, bool[] inserted, CancellationToken ct)
    {
        if (postgres) await InsertPostgresAsync(leads, inserted, ct);
        else InsertSqlite(leads, inserted, ct);
    }

    void InsertSqlite(IReadOnlyList<Lead> leads, bool[] inserted, CancellationToken ct)
    {
        if (sqliteInsert is null)
        {
            var names = string.Join(", ", leadColumns.Select(c => c.Name));
            var values = string.Join(", ", leadColumns.Select((_, i) => $"@p{i}"));
            sqliteInsert = Command($"INSERT INTO {leadTable} ({names}) VALUES ({values}) ON CONFLICT ({identityColumn}) DO NOTHING");
            for (var i = 0; i < leadColumns.Length; i++)
                sqliteInsert.Parameters.Add(leadColumns[i].Mapping.CreateParameter(sqliteInsert, $"@p{i}", null, nullable: true));
            sqliteInsert.Prepare();
        }
        for (var row = 0; row < leads.Count; row++)
        {
            ct.ThrowIfCancellationRequested();
            for (var i = 0; i < leadColumns.Length; i++) sqliteInsert.Parameters[i].Value = leadColumns[i].Value(leads[row]);
            inserted[row] = sqliteInsert.ExecuteNonQuery() == 1;
        }
    }

    async Task InsertPostgresAsync(IReadOnlyList<Lead> leads, bool[] inserted, CancellationToken ct)
    {
        var names = string.Join(", ", leadColumns.Select(c => c.Name));
        var arrays = string.Join(", ", leadColumns.Select((c, i) => $"@p{i}::{c.StoreType}[]"));
        await using var command = Command(
            $"INSERT INTO {leadTable} ({names}) SELECT * FROM unnest({arrays}) ON CONFLICT ({identityColumn}) DO NOTHING RETURNING {identityColumn}");
        for (var i = 0; i < leadColumns.Length; i++)
        {
            var column = leadColumns[i];
            var array = Array.CreateInstance(column.ProviderType, leads.Count);
            for (var row = 0; row < leads.Count; row++)
                array.SetValue(column.Value(leads[row]) is var v && v == DBNull.Value ? null : v, row);
            var parameter = command.CreateParameter();
            parameter.ParameterName = $"p{i}";
            parameter.Value = array;
            command.Parameters.Add(parameter);
        }
        var stored = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) stored.Add(reader.GetString(0));
        for (var row = 0; row < leads.Count; row++) inserted[row] = stored.Contains(leads[row].IdentityKey);
    }

    /// <summary>
    /// The id of the source named <paramref name="name"/> (matched by <see cref="Source.KeyOf"/>), created with this spelling
    /// when new. <c>ON CONFLICT ("Key") DO NOTHING</c> then a select: a concurrent import creating the same source waits on
    /// the unique index and both end up with the one row.
    /// </summary>
    public async Task<long> SourceIdAsync(string name, DateTimeOffset now, CancellationToken ct)
    {
        var key = Source.KeyOf(name);
        if (sourceIds.TryGetValue(key, out var id)) return id;

        var sql = db.GetService<ISqlGenerationHelper>();
        var entity = db.Model.FindEntityType(typeof(Source))!;
        var columns = Columns(entity, sql);
        var keyColumn = sql.DelimitIdentifier(entity.FindProperty(nameof(Source.Key))!.GetColumnName());
        var idColumn = sql.DelimitIdentifier(entity.FindProperty(nameof(Source.Id))!.GetColumnName());
        var table = sql.DelimitIdentifier(entity.GetTableName()!, entity.GetSchema());
        if (sourceInsert is null)
        {
            sourceInsert = Command(
                $"INSERT INTO {table} ({string.Join(", ", columns.Select(c => c.Name))}) VALUES ({string.Join(", ", columns.Select((_, i) => $"@s{i}"))}) ON CONFLICT ({keyColumn}) DO NOTHING");
            for (var i = 0; i < columns.Length; i++)
                sourceInsert.Parameters.Add(columns[i].Mapping.CreateParameter(sourceInsert, $"@s{i}", null, nullable: true));
            sourceSelect = Command($"SELECT {idColumn} FROM {table} WHERE {keyColumn} = @key");
            var keyParameter = sourceSelect.CreateParameter();
            keyParameter.ParameterName = "@key";
            sourceSelect.Parameters.Add(keyParameter);
        }
        var source = new Source { Name = name.Trim(), Key = key, CreatedAt = now };
        for (var i = 0; i < columns.Length; i++) sourceInsert.Parameters[i].Value = columns[i].Value(source);
        await sourceInsert.ExecuteNonQueryAsync(ct);
        sourceSelect!.Parameters[0].Value = key;
        id = Convert.ToInt64(await sourceSelect.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        sourceIds[key] = id;
        return id;
    }

    public Task CommitAsync(CancellationToken ct) => transaction.CommitAsync(ct);

    public async ValueTask DisposeAsync()
    {
        if (sqliteInsert is not null) await sqliteInsert.DisposeAsync();
        if (sourceInsert is not null) await sourceInsert.DisposeAsync();
        if (sourceSelect is not null) await sourceSelect.DisposeAsync();
        await transaction.DisposeAsync();
    }
}
