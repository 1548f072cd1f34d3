using System.ComponentModel.DataAnnotations;
using LeadRouter.Data;

namespace LeadRouter.Web.Features;

/// <summary>DataAnnotations checks for requests that reach a coordinator from the CLI as well as the API.</summary>
static class Validation
{
    /// <summary>Validates <paramref name="request"/> and throws <see cref="InputException"/> naming each bad field.</summary>
    public static void Check(object request)
    {
        var results = new List<ValidationResult>();
        if (Validator.TryValidateObject(request, new ValidationContext(request), results, validateAllProperties: true)) return;
        throw new InputException(results
            .SelectMany(r => (r.MemberNames.Any() ? r.MemberNames : [""]).Select(m => (Field: Camel(m), r.ErrorMessage ?? "invalid")))
            .GroupBy(x => x.Field).ToDictionary(g => g.Key, g => g.Select(x => x.Item2).ToArray()));
    }

    static string Camel(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];
}
