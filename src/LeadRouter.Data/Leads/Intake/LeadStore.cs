using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
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
/// <item>SQLite: one prepared single-row INSERT stepped per lead through the native handle (bound by position, no
/// per-execute reader objects); the change count (1 or 0) says inserted or duplicate. SQLite has no network round trip,
/// and binding thousands of named parameters in one multi-row statement costs more than it saves.</item>
/// <item>PostgreSQL: one <c>INSERT … SELECT * FROM unnest(@c0::type[], …) ON CONFLICT DO NOTHING RETURNING "Id", "IdentityKey"</c>
/// per batch of <see cref="BatchSize"/> leads: one round trip and one parameter per column.</item>
/// </list>
/// The file importer and the intake API's batch writer use it; EF commands on the same context join its transaction.
/// </summary>
public sealed class LeadStore : IAsyncDisposable
{
    readonly LeadRouterDb db;
    readonly IDbContextTransaction transaction;
    readonly bool postgres;
    readonly Column[] leadColumns;
    readonly string leadTable;
    readonly string identityColumn;
    readonly string idColumn;
    readonly string leadTableName;
    readonly string leadTableIdName;
    readonly Dictionary<string, long> sourceIds = new(StringComparer.Ordinal);
    SqliteStatement? sqliteInsert;
    SqliteStatement? sqliteInsertWithId;
    DbCommand? sourceInsert;
    DbCommand? sourceSelect;
    bool cacheRestored;

    sealed record Column(string Name, IProperty Property, RelationalTypeMapping Mapping, IClrPropertyGetter Getter, string StoreType)
    {
        public object Value(object entity)
        {
            var value = Getter.GetClrValue(entity);
            if (value is not null && Mapping.Converter is { } converter) value = converter.ConvertToProvider(value);
            return value is DateTimeOffset t ? t.ToUniversalTime() : value ?? DBNull.Value;
        }

        /// <summary>Builds this column's typed array (<c>string[]</c>, <c>long?[]</c>…) for PostgreSQL's unnest.</summary>
        public Func<IReadOnlyList<Lead>, Array> ArrayBuilder
        {
            get
            {
                if (field is not null) return field;
                var type = Mapping.Converter?.ProviderClrType ?? Property.ClrType;
                type = Nullable.GetUnderlyingType(type) ?? type;
                if (type.IsValueType) type = typeof(Nullable<>).MakeGenericType(type);
                var build = typeof(Column).GetMethod(nameof(BuildArray), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
                    .MakeGenericMethod(type);
                return field = build.CreateDelegate<Func<IReadOnlyList<Lead>, Array>>(this);
            }
        }

        Array BuildArray<T>(IReadOnlyList<Lead> leads)
        {
            var array = new T[leads.Count];
            for (var i = 0; i < array.Length; i++)
                array[i] = Value(leads[i]) is var v && v == DBNull.Value ? default! : (T)v;
            return array;
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
        leadColumns = ColumnsOf.GetValue(lead, e => Columns(e, sql));
        identityColumn = sql.DelimitIdentifier(lead.FindProperty(nameof(Lead.IdentityKey))!.GetColumnName());
        idColumn = sql.DelimitIdentifier(lead.FindProperty(nameof(Lead.Id))!.GetColumnName());
        leadTableName = lead.GetTableName()!;
        leadTableIdName = lead.FindProperty(nameof(Lead.Id))!.GetColumnName();
        lockPending = postgres;
    }

    /// <summary>Leads per write: 5,000 per unnest statement on PostgreSQL; on SQLite a flush size only.</summary>
    public int BatchSize => postgres ? 5000 : 1000;

    /// <summary>SQLite page cache for the import's connection (KiB; SQLite's default is 2,000): the lead table's indexes
    /// on random keys (identity key, e-mail, phone) stay in memory instead of being re-read page by page.</summary>
    const int SqliteImportCacheKib = 65_536;

    /// <summary>Transaction-scoped PostgreSQL advisory lock key taken by every import ("LRIM", 0x4C52494D).</summary>
    const long ImportLockKey = 0x4C52_494D;

    /// <summary>
    /// Begins the import's transaction. Imports run one at a time per database: SQLite's <c>BEGIN IMMEDIATE</c> does it
    /// (single writer), on PostgreSQL a transaction-scoped advisory lock does, taken before the first lead or source is
    /// written (sent with that first statement, so it costs no round trip of its own). Without it, two files holding
    /// the same keys in different orders could wait on each other's uncommitted rows and one would fail with a deadlock.
    /// </summary>
    public static async Task<LeadStore> BeginAsync(LeadRouterDb db, CancellationToken ct)
    {
        var transaction = await db.Database.BeginTransactionAsync(ct);
        var store = new LeadStore(db, transaction);
        if (!store.postgres)
        {
            try
            {
                await using var command = store.Command($"PRAGMA cache_size = -{SqliteImportCacheKib}");
                await command.ExecuteNonQueryAsync(ct);
            }
            catch
            {
                await transaction.DisposeAsync();
                throw;
            }
        }
        return store;
    }

    /// <summary>True on PostgreSQL until the import lock has been sent.</summary>
    bool lockPending;

    static readonly string LockStatement = $"SELECT pg_advisory_xact_lock({ImportLockKey});";

    async Task EnsureLockedAsync(CancellationToken ct)
    {
        if (!lockPending) return;
        await using var command = Command(LockStatement);
        await command.ExecuteNonQueryAsync(ct);
        lockPending = false;
    }

    /// <summary>The lead columns per model (built once: each column compiles its array builder on first use).</summary>
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IEntityType, Column[]> ColumnsOf = new();

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

    /// <summary>
    /// Inserts the leads (their identity keys distinct): <paramref name="inserted"/>[i] is false when lead i's identity key
    /// was already stored. The <see cref="Lead"/> objects are not changed.
    /// </summary>
    public async Task InsertAsync(IReadOnlyList<Lead> leads, bool[] inserted, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(leads);
        ArgumentNullException.ThrowIfNull(inserted);
        if (postgres) await InsertPostgresAsync(leads, inserted, ct);
        else InsertSqlite(leads, withId: false, inserted, ct);
    }

    /// <summary>The lead insert, <c>ON CONFLICT DO NOTHING</c>; <paramref name="withId"/>: the id is given (reserved ids).</summary>
    string InsertSql(bool withId, string source) =>
        $"INSERT INTO {leadTable} ({(withId ? idColumn + ", " : "")}{string.Join(", ", leadColumns.Select(c => c.Name))}) {source} ON CONFLICT ({identityColumn}) DO NOTHING";

    /// <summary>
    /// SQLite: the prepared single-row insert (<c>?1</c> is the id when <paramref name="withId"/>), stepped for one lead;
    /// returns the change count (1 inserted, 0 already stored).
    /// </summary>
    int InsertSqliteRow(Lead lead, bool withId)
    {
        ref var statement = ref withId ? ref sqliteInsertWithId : ref sqliteInsert;
        var first = withId ? 2 : 1;
        statement ??= SqliteStatement.Prepare((SqliteConnection)db.Database.GetDbConnection(),
            InsertSql(withId, $"VALUES ({(withId ? "?1, " : "")}{string.Join(", ", leadColumns.Select((_, i) => $"?{i + first}"))})"));
        statement.ClearBindings(); // every parameter NULL; only values are bound
        if (withId) statement.Bind(1, lead.Id);
        for (var i = 0; i < leadColumns.Length; i++)
        {
            var value = leadColumns[i].Value(lead);
            if (value is not DBNull) statement.Bind(i + first, value);
        }
        return statement.Execute();
    }

    /// <summary>SQLite: inserts the leads one prepared row at a time; returns how many were inserted (and which, in <paramref name="inserted"/>).</summary>
    int InsertSqlite(IReadOnlyList<Lead> leads, bool withId, bool[]? inserted, CancellationToken ct)
    {
        var count = 0;
        for (var row = 0; row < leads.Count; row++)
        {
            if (row % 256 == 0) ct.ThrowIfCancellationRequested();
            var one = InsertSqliteRow(leads[row], withId) == 1;
            if (inserted is not null) inserted[row] = one;
            if (one) count++;
        }
        return count;
    }

    /// <summary>
    /// PostgreSQL: the insert of <paramref name="leads"/> from one typed array per column (<c>unnest</c>; with
    /// <paramref name="withId"/> the ids first) added to <paramref name="batch"/> with positional parameters.
    /// </summary>
    DbBatchCommand AddPostgresInsert(DbBatch batch, IReadOnlyList<Lead> leads, bool withId, string returning = "")
    {
        var first = withId ? 2 : 1;
        // Base types without length/precision: casting a whole array to varchar(320)[] coerces every element twice.
        var arrays = string.Join(", ", leadColumns.Select((c, i) => $"${i + first}::{BaseType(c.StoreType)}[]"));
        var values = new List<object?>(leadColumns.Length + 1);
        if (withId) values.Add(leads.Select(l => l.Id).ToArray());
        values.AddRange(leadColumns.Select(c => c.ArrayBuilder(leads)));
        return batch.Add(InsertSql(withId, $"SELECT * FROM unnest({(withId ? "$1::bigint[], " : "")}{arrays})") + returning, [.. values]);
    }

    async Task InsertPostgresAsync(IReadOnlyList<Lead> leads, bool[] inserted, CancellationToken ct)
    {
        await using var batch = db.Database.GetDbConnection().CreateBatch();
        batch.Transaction = transaction.GetDbTransaction();
        var locking = lockPending;
        if (locking) batch.Add(LockStatement);
        AddPostgresInsert(batch, leads, withId: false, $" RETURNING {identityColumn}");
        var stored = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            if (locking && !await reader.NextResultAsync(ct)) throw new InvalidOperationException("The lead insert returned no result.");
            while (await reader.ReadAsync(ct)) stored.Add(reader.GetString(0));
        }
        lockPending = false;
        for (var row = 0; row < leads.Count; row++) inserted[row] = stored.Contains(leads[row].IdentityKey);
    }

    /// <summary>
    /// For leads about to be written with <see cref="Insertion"/>: which of <paramref name="keys"/> (identity keys) are
    /// already stored, and one reserved lead id per key, ascending (a reserved id left unused is a gap). Asked under the
    /// import lock (sent with this query on PostgreSQL; SQLite's write lock), so both hold until the transaction ends:
    /// every lead insert takes that lock. PostgreSQL: one round trip (lock, stored keys, ids from the id sequence);
    /// SQLite: the ids follow the largest id ever given.
    /// </summary>
    public async Task<(HashSet<string> Stored, long[] Ids)> ReserveAsync(IReadOnlyList<string> keys, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var stored = new HashSet<string>(StringComparer.Ordinal);
        var ids = new long[keys.Count];
        if (keys.Count == 0) return (stored, ids);
        if (!postgres)
        {
            await using (var command = Command($"SELECT {identityColumn} FROM {leadTable} WHERE {identityColumn} IN (SELECT \"value\" FROM json_each(@keys))"))
            {
                command.Parameters.Add(new SqliteParameter("@keys", System.Text.Json.JsonSerializer.Serialize(keys)));
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) stored.Add(reader.GetString(0));
            }
            await using (var command = Command(
                $"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = '{leadTableName}'), 0), coalesce((SELECT max({idColumn}) FROM {leadTable}), 0))"))
            {
                var last = Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
                for (var i = 0; i < ids.Length; i++) ids[i] = last + 1 + i;
            }
            return (stored, ids);
        }

        await using var batch = db.Database.GetDbConnection().CreateBatch();
        batch.Transaction = transaction.GetDbTransaction();
        var locking = lockPending;
        if (locking) batch.Add(LockStatement);
        batch.Add($"SELECT {identityColumn} FROM {leadTable} WHERE {identityColumn} = ANY($1)", (object)keys.ToArray());
        batch.Add($"SELECT nextval(pg_get_serial_sequence('{leadTable}', '{leadTableIdName}')) FROM generate_series(1, $1)", keys.Count);
        var next = 0;
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            if (locking && !await reader.NextResultAsync(ct)) throw new InvalidOperationException("The stored-keys query returned no result.");
            while (await reader.ReadAsync(ct)) stored.Add(reader.GetString(0));
            if (!await reader.NextResultAsync(ct)) throw new InvalidOperationException("No lead ids were reserved.");
            while (await reader.ReadAsync(ct) && next < ids.Length) ids[next++] = reader.GetInt64(0);
        }
        if (next != ids.Length) throw new InvalidOperationException($"{next} lead ids were reserved for {ids.Length} leads.");
        Array.Sort(ids);
        lockPending = false;
        return (stored, ids);
    }

    /// <summary>
    /// The insert of <paramref name="leads"/> with the ids set from <see cref="ReserveAsync"/> (their identity keys
    /// distinct and, as <see cref="ReserveAsync"/> said, not stored), to run alone or in a caller's PostgreSQL batch.
    /// </summary>
    /// <exception cref="InvalidOperationException">A lead has no id, or <see cref="ReserveAsync"/> was not called.</exception>
    public LeadInsert Insertion(IReadOnlyList<Lead> leads)
    {
        ArgumentNullException.ThrowIfNull(leads);
        if (lockPending) throw new InvalidOperationException("Reserve the ids (and take the import lock) first.");
        if (leads.Any(l => l.Id <= 0)) throw new InvalidOperationException("Every lead needs its reserved id.");
        return new LeadInsert(this, leads);
    }

    /// <summary>
    /// An insert of leads with their reserved ids (<see cref="Insertion"/>), <c>ON CONFLICT DO NOTHING</c>: fewer rows
    /// inserted than <see cref="Count"/> means another writer stored one of the keys without the import lock.
    /// </summary>
    public sealed class LeadInsert
    {
        readonly LeadStore store;
        readonly IReadOnlyList<Lead> leads;

        internal LeadInsert(LeadStore store, IReadOnlyList<Lead> leads) => (this.store, this.leads) = (store, leads);

        /// <summary>The leads to insert.</summary>
        public int Count => leads.Count;

        /// <summary>PostgreSQL: adds the insert to <paramref name="batch"/>; its <c>RecordsAffected</c> is the number inserted.</summary>
        public DbBatchCommand AddTo(DbBatch batch)
        {
            ArgumentNullException.ThrowIfNull(batch);
            if (!store.postgres) throw new InvalidOperationException("Only PostgreSQL inserts leads in a batch.");
            return store.AddPostgresInsert(batch, leads, withId: true);
        }

        /// <summary>Runs the insert on its own; returns how many leads were inserted.</summary>
        public async Task<int> RunAsync(CancellationToken ct)
        {
            if (leads.Count == 0) return 0;
            if (store.postgres)
            {
                await using var batch = store.db.Database.GetDbConnection().CreateBatch();
                batch.Transaction = store.transaction.GetDbTransaction();
                var command = AddTo(batch);
                await batch.ExecuteNonQueryAsync(ct);
                return command.RecordsAffected;
            }
            return store.InsertSqlite(leads, withId: true, null, ct);
        }
    }

    static string BaseType(string storeType)
    {
        var paren = storeType.IndexOf('(');
        return paren < 0 ? storeType : storeType[..paren].TrimEnd() + storeType[(storeType.IndexOf(')') + 1)..];
    }

    /// <summary>The id of a source this import has already resolved.</summary>
    public bool TryGetSourceId(string name, out long id) => sourceIds.TryGetValue(Source.KeyOf(name), out id);

    /// <summary>
    /// The id of the source named <paramref name="name"/> (matched by <see cref="Source.KeyOf"/>), created with this spelling
    /// when new. <c>ON CONFLICT ("Key") DO NOTHING</c> then a select: a concurrent import creating the same source waits on
    /// the unique index and both end up with the one row. Not to be called while an insert is running.
    /// </summary>
    public async Task<long> SourceIdAsync(string name, DateTimeOffset now, CancellationToken ct)
    {
        var key = Source.KeyOf(name);
        if (sourceIds.TryGetValue(key, out var id)) return id;
        await EnsureLockedAsync(ct);

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

    /// <summary>Commits the transaction begun by <see cref="BeginAsync"/>.</summary>
    public async Task CommitAsync(CancellationToken ct)
    {
        await RestoreCacheAsync(ct);
        await transaction.CommitAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        sqliteInsert?.Dispose();
        sqliteInsertWithId?.Dispose();
        if (sourceInsert is not null) await sourceInsert.DisposeAsync();
        if (sourceSelect is not null) await sourceSelect.DisposeAsync();
        if (db.Database.GetDbConnection().State == System.Data.ConnectionState.Open) await RestoreCacheAsync(CancellationToken.None);
        await transaction.DisposeAsync();
    }

    /// <summary>Pooled connections keep their pragmas: gives the import's page cache back before the connection is released.</summary>
    async Task RestoreCacheAsync(CancellationToken ct)
    {
        if (postgres || cacheRestored) return;
        await using var command = Command("PRAGMA cache_size = -2000");
        await command.ExecuteNonQueryAsync(ct);
        cacheRestored = true;
    }
}

/// <summary>
/// A prepared SQLite statement driven through SQLitePCL on the connection's native handle: values are bound by position
/// the way Microsoft.Data.Sqlite binds them (decimal as invariant text, bool as 0/1), inside the connection's transaction.
/// </summary>
sealed class SqliteStatement : IDisposable
{
    readonly SQLitePCL.sqlite3 handle;
    readonly SQLitePCL.sqlite3_stmt statement;

    SqliteStatement(SQLitePCL.sqlite3 handle, SQLitePCL.sqlite3_stmt statement)
    {
        this.handle = handle;
        this.statement = statement;
    }

    public static SqliteStatement Prepare(SqliteConnection connection, string sql)
    {
        var handle = connection.Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
        var rc = SQLitePCL.raw.sqlite3_prepare_v2(handle, sql, out var statement);
        if (rc != SQLitePCL.raw.SQLITE_OK) throw Error(handle, rc);
        return new SqliteStatement(handle, statement);
    }

    public void Bind(int index, object value)
    {
        var rc = value switch
        {
            DBNull => SQLitePCL.raw.sqlite3_bind_null(statement, index),
            // UTF-16 as is: SQLite converts to the database's UTF-8 itself, without a managed byte[] per value.
            string s => SQLitePCL.raw.sqlite3_bind_text16(statement, index, s.AsSpan()),
            long l => SQLitePCL.raw.sqlite3_bind_int64(statement, index, l),
            int i => SQLitePCL.raw.sqlite3_bind_int64(statement, index, i),
            bool b => SQLitePCL.raw.sqlite3_bind_int64(statement, index, b ? 1 : 0),
            double d => SQLitePCL.raw.sqlite3_bind_double(statement, index, d),
            float f => SQLitePCL.raw.sqlite3_bind_double(statement, index, f),
            decimal m => SQLitePCL.raw.sqlite3_bind_text(statement, index, m.ToString("0.0###########################", CultureInfo.InvariantCulture)),
            byte[] bytes => SQLitePCL.raw.sqlite3_bind_blob(statement, index, bytes),
            Guid g => SQLitePCL.raw.sqlite3_bind_text(statement, index, g.ToString().ToUpperInvariant()),
            _ => throw new NotSupportedException($"Cannot bind a {value.GetType().Name} to SQLite."),
        };
        if (rc != SQLitePCL.raw.SQLITE_OK) throw Error(handle, rc);
    }

    /// <summary>Sets every parameter to NULL.</summary>
    public void ClearBindings() => SQLitePCL.raw.sqlite3_clear_bindings(statement);

    /// <summary>The rowid of the last row inserted on the connection.</summary>
    public long LastInsertRowId => SQLitePCL.raw.sqlite3_last_insert_rowid(handle);

    /// <summary>Runs the statement once and returns the number of rows it changed.</summary>
    public int Execute()
    {
        var rc = SQLitePCL.raw.sqlite3_step(statement);
        SQLitePCL.raw.sqlite3_reset(statement);
        if (rc != SQLitePCL.raw.SQLITE_DONE) throw Error(handle, rc);
        return SQLitePCL.raw.sqlite3_changes(handle);
    }

    static SqliteException Error(SQLitePCL.sqlite3 handle, int rc) =>
        new(SQLitePCL.raw.sqlite3_errmsg(handle).utf8_to_string(), rc, SQLitePCL.raw.sqlite3_extended_errcode(handle));

    public void Dispose() => statement.Dispose();
}
