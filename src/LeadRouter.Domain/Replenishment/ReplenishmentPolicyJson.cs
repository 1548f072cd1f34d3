using System.Globalization;
using System.Text.Json;

namespace LeadRouter.Domain.Replenishment;

/// <summary>Reads <see cref="ReplenishmentPolicy"/> from JSON, collecting every field error instead of stopping at the first.</summary>
static class ReplenishmentPolicyJson
{
    static readonly JsonDocumentOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static PolicyParseResult Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.TrimStart('\uFEFF'), Options); // files saved with a byte order mark
        }
        catch (JsonException e)
        {
            return new PolicyParseResult.Invalid([new PolicyFieldError("$", $"is not valid JSON: {e.Message}")]);
        }

        using (document)
        {
            var errors = new List<PolicyFieldError>();
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return new PolicyParseResult.Invalid([new PolicyFieldError("$", $"must be a JSON object, not {Kind(root)}.")]);

            var policy = Read(root, errors);
            if (errors.Count == 0) errors.AddRange(policy.Validate());
            else errors.AddRange(policy.Validate().Where(v => errors.All(e => e.Field != v.Field)));
            return errors.Count == 0 ? new PolicyParseResult.Valid(policy) : new PolicyParseResult.Invalid(errors);
        }
    }

    static ReplenishmentPolicy Read(JsonElement root, List<PolicyFieldError> errors)
    {
        var policy = ReplenishmentPolicy.Default;

        if (Section(root, "lead_inventory_thresholds", errors) is { } thresholds)
        {
            const string path = "lead_inventory_thresholds";
            if (Int(thresholds, "min_total_leads", path, errors) is { } min) policy = policy with { MinTotalLeads = min };
            if (Int(thresholds, "target_total_leads", path, errors) is { } target) policy = policy with { TargetTotalLeads = target };
            if (Section(thresholds, "min_priority_leads", errors, path) is { } grades)
            {
                var merged = new Dictionary<string, int>(policy.MinGradeLeads);
                foreach (var grade in grades.EnumerateObject())
                {
                    if (Int(grade.Value, $"{path}.min_priority_leads.{grade.Name}", errors) is { } value)
                        merged[Grades.Normalize(grade.Name)] = value;
                }

                policy = policy with { MinGradeLeads = merged };
            }
        }

        if (Section(root, "upload_controls", errors) is { } controls)
        {
            const string path = "upload_controls";
            if (Int(controls, "max_upload_per_run", path, errors) is { } perRun) policy = policy with { MaxUploadPerRun = perRun };
            if (Int(controls, "max_daily_uploads", path, errors) is { } daily) policy = policy with { MaxDailyUploads = daily };
            if (Number(controls, "min_time_between_uploads_hours", path, errors) is { } hours)
            {
                if (hours is < -1e6 or > 1e6)
                    errors.Add(new($"{path}.min_time_between_uploads_hours", $"is {hours}; give a number of hours between 0 and 1000000."));
                else
                    policy = policy with { Cooldown = TimeSpan.FromHours(hours) };
            }
        }

        if (Section(root, "priority_mix", errors) is { } mix)
        {
            var percents = new Dictionary<string, double>();
            foreach (var grade in mix.EnumerateObject())
            {
                if (Number(grade.Value, $"priority_mix.{grade.Name}", errors) is { } value)
                    percents[Grades.Normalize(grade.Name)] = value;
            }

            policy = policy with { Mix = percents };
        }

        TimeZoneInfo? zone = null;
        if (String(root, "time_zone", "", errors) is { } zoneId)
            zone = Zone(zoneId, "time_zone", errors);

        if (Section(root, "business_hours", errors) is { } hoursSection)
        {
            var enabled = Bool(hoursSection, "enabled", "business_hours", errors) ?? true;
            var hours = ReadBusinessHours(hoursSection, errors);
            if (String(hoursSection, "time_zone", "business_hours", errors) is { } hoursZoneId
                && Zone(hoursZoneId, "business_hours.time_zone", errors) is { } hoursZone)
            {
                if (zone is not null && zone.Id != hoursZone.Id)
                    errors.Add(new("business_hours.time_zone",
                        $"is \"{hoursZoneId}\" but time_zone is \"{zone.Id}\"; one time zone governs the day, business hours and holidays."));
                zone ??= hoursZone;
            }

            if (enabled) policy = policy with { BusinessHours = hours };
        }

        if (zone is not null) policy = policy with { TimeZone = zone };

        if (root.TryGetProperty("holidays", out var holidays))
            policy = policy with { Holidays = ReadHolidays(holidays, errors) };

        if (Section(root, "agent_overload_protection", errors) is { } overload)
        {
            const string path = "agent_overload_protection";
            var enabled = Bool(overload, "enabled", path, errors) ?? true;
            var limit = Int(overload, "max_available_leads_per_agent", path, errors);
            if (enabled && !overload.TryGetProperty("max_available_leads_per_agent", out _))
                errors.Add(new($"{path}.max_available_leads_per_agent", "is missing; give the most available leads per active agent."));
            if (enabled && limit is { } value) policy = policy with { MaxAvailableLeadsPerAgent = value };
        }

        return policy;
    }

    static BusinessHours ReadBusinessHours(JsonElement section, List<PolicyFieldError> errors)
    {
        var hours = BusinessHours.Default;
        if (section.TryGetProperty("days", out var days))
        {
            if (days.ValueKind != JsonValueKind.Array)
                errors.Add(new("business_hours.days", $"must be an array of day names, not {Kind(days)}."));
            else
            {
                var set = new HashSet<DayOfWeek>();
                var i = 0;
                foreach (var day in days.EnumerateArray())
                {
                    if (day.ValueKind == JsonValueKind.String && Day(day.GetString()!) is { } dow) set.Add(dow);
                    else errors.Add(new($"business_hours.days[{i}]", $"is {Show(day)}; use a day name such as \"Mon\" or \"Monday\"."));
                    i++;
                }

                hours = hours with { Days = set };
            }
        }

        if (Time(section, "start", errors) is { } start) hours = hours with { Start = start };
        if (Time(section, "end", errors) is { } end) hours = hours with { End = end };
        return hours;
    }

    static HashSet<DateOnly> ReadHolidays(JsonElement holidays, List<PolicyFieldError> errors)
    {
        var dates = new HashSet<DateOnly>();
        if (holidays.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new("holidays", $"must be an array of dates (\"yyyy-MM-dd\"), not {Kind(holidays)}."));
            return dates;
        }

        var i = 0;
        foreach (var item in holidays.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String
                && DateOnly.TryParseExact(item.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                dates.Add(date);
            else
                errors.Add(new($"holidays[{i}]", $"is {Show(item)}; use a date like \"2025-12-25\"."));
            i++;
        }

        return dates;
    }

    static DayOfWeek? Day(string name)
    {
        var trimmed = name.Trim();
        foreach (var day in Enum.GetValues<DayOfWeek>())
        {
            var full = day.ToString();
            if (string.Equals(trimmed, full, StringComparison.OrdinalIgnoreCase)
                || string.Equals(trimmed, full[..3], StringComparison.OrdinalIgnoreCase))
                return day;
        }

        return null;
    }

    static TimeZoneInfo? Zone(string id, string field, List<PolicyFieldError> errors)
    {
        if (TimeZoneInfo.TryFindSystemTimeZoneById(id.Trim(), out var zone)) return zone;
        errors.Add(new(field, $"is \"{id}\", not a known time zone; use an IANA id such as \"Asia/Kolkata\" or \"UTC\"."));
        return null;
    }

    // "HH:mm" or a whole hour 0–23 (the seed's scripts wrote hours as numbers).
    static TimeOnly? Time(JsonElement section, string name, List<PolicyFieldError> errors)
    {
        if (!section.TryGetProperty(name, out var value)) return null;
        var field = $"business_hours.{name}";
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var hour) && hour is >= 0 and <= 23)
            return new TimeOnly(hour, 0);
        if (value.ValueKind == JsonValueKind.String
            && TimeOnly.TryParseExact(value.GetString(), ["HH:mm", "H:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            return time;
        errors.Add(new(field, $"is {Show(value)}; use a local time like \"09:00\" or a whole hour 0–23."));
        return null;
    }

    static JsonElement? Section(JsonElement parent, string name, List<PolicyFieldError> errors, string path = "")
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Object) return value;
        errors.Add(new(Join(path, name), $"must be an object, not {Kind(value)}."));
        return null;
    }

    static int? Int(JsonElement parent, string name, string path, List<PolicyFieldError> errors) =>
        parent.TryGetProperty(name, out var value) ? Int(value, Join(path, name), errors) : null;

    static int? Int(JsonElement value, string field, List<PolicyFieldError> errors)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number)) return number;
        errors.Add(new(field, $"is {Show(value)}; it must be a whole number."));
        return null;
    }

    static double? Number(JsonElement parent, string name, string path, List<PolicyFieldError> errors) =>
        parent.TryGetProperty(name, out var value) ? Number(value, Join(path, name), errors) : null;

    static double? Number(JsonElement value, string field, List<PolicyFieldError> errors)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number)) return number;
        errors.Add(new(field, $"is {Show(value)}; it must be a number."));
        return null;
    }

    static bool? Bool(JsonElement parent, string name, string path, List<PolicyFieldError> errors)
    {
        if (!parent.TryGetProperty(name, out var value)) return null;
        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False) return value.GetBoolean();
        errors.Add(new(Join(path, name), $"is {Show(value)}; it must be true or false."));
        return null;
    }

    static string? String(JsonElement parent, string name, string path, List<PolicyFieldError> errors)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        errors.Add(new(Join(path, name), $"is {Show(value)}; it must be a string."));
        return null;
    }

    static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    static string Show(JsonElement value)
    {
        var text = value.GetRawText();
        return text.Length <= 40 ? text : text[..37] + "...";
    }
}
