using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace LeadRouter.Web.Features.Platform;

/// <summary>
/// A compiled EF query (<see cref="EF.CompileAsyncQuery{TContext, TResult}(System.Linq.Expressions.Expression{Func{TContext, IQueryable{TResult}}})"/>)
/// per model. A compiled query is bound to the model it first ran with, and one process may run several (the tests run
/// SQLite and PostgreSQL apps side by side), so each model gets its own, compiled on first use.
/// </summary>
/// <typeparam name="TQuery">The compiled query's delegate type.</typeparam>
public sealed class PerModel<TQuery>(Func<TQuery> compile) where TQuery : class
{
    readonly ConditionalWeakTable<IModel, TQuery> compiled = new();

    /// <summary>The query compiled for <paramref name="db"/>'s model.</summary>
    public TQuery For(DbContext db)
    {
        ArgumentNullException.ThrowIfNull(db);
        return compiled.GetValue(db.Model, _ => compile());
    }
}
