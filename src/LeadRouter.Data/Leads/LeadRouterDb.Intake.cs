using LeadRouter.Data.Leads;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Data;

public sealed partial class LeadRouterDb
{
    /// <summary>Intake API calls made with an Idempotency-Key and their answers.</summary>
    public DbSet<IntakeRequest> IntakeRequests => Set<IntakeRequest>();
}
