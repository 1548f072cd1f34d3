using LeadRouter.Data;
using LeadRouter.Data.Leads.Intake;
using Microsoft.AspNetCore.Diagnostics;

namespace LeadRouter.Web.Features.Platform;

/// <summary>Turns bad-input exceptions from coordinators into 400 validation problems naming each field.</summary>
sealed class ProblemMapping(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        IDictionary<string, string[]>? errors = exception switch
        {
            InputException e => e.Errors.ToDictionary(),
            ImportInputException e => new Dictionary<string, string[]> { ["file"] = [e.Message] },
            BadHttpRequestException e => new Dictionary<string, string[]> { ["body"] = [e.Message] },
            _ => null,
        };
        if (errors is null) return false;
        http.Response.StatusCode = StatusCodes.Status400BadRequest;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = new HttpValidationProblemDetails(errors) { Status = 400, Title = "The request has invalid input." },
        });
    }
}
