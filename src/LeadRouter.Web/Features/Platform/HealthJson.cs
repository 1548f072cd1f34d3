using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LeadRouter.Web.Features.Platform;

/// <summary>
/// <c>/health</c> as JSON: <c>{"status":"Healthy","checks":{"replenishment":{"status","description","data"}}}</c>.
/// The status code stays the framework's (200 for Healthy and Degraded, 503 for Unhealthy).
/// </summary>
static class HealthJson
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                data = e.Value.Data,
            }),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, JsonSerializerOptions.Web, context.RequestAborted);
    }
}
