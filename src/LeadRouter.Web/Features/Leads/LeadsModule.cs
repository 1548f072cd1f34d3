using LeadRouter.Data.Leads.Intake;

namespace LeadRouter.Web.Features.Leads;

/// <summary>Wiring of the leads area: intake (imports) and lead queries.</summary>
public static class LeadsModule
{
    /// <summary>The area's services (used by the web host and the CLI).</summary>
    public static IHostApplicationBuilder AddLeads(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<LeadImporter>();
        builder.Services.AddSingleton<ImportLeads>();
        builder.Services.AddSingleton<LeadQueries>();
        builder.Services.AddSingleton<ChangeLeadStatus>();
        builder.Services.AddSingleton<IntakeLeads>();
        builder.Services.AddSingleton<IntakeWriter>();
        builder.Services.AddSingleton<IdempotentIntake>();
        return builder;
    }
}
