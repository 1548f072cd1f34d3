using System.Diagnostics;
using LeadRouter.Bench.Micro;
using LeadRouter.Data;
using LeadRouter.Data.Leads;
using LeadRouter.Data.Members;
using LeadRouter.Domain.Members;
using LeadRouter.Web.Features.Members;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Bench;

/// <summary>
/// <c>members</c>: one member import of N leads (bulk-inserted, not timed) and M members (70 % Bronze, 20 % Silver,
/// 10 % Gold); times one <see cref="RunDistribution.RunImportAsync"/> run (lock, load, plan, shares, files, e-mails,
/// commit). Beside it, on the same instance and in the same process: <see cref="MemberAllocation"/> alone and the
/// seeds' tier-order greedy (<see cref="TierOrderGreedy"/>), so the shares handed out can be compared.
/// </summary>
static class MembersLoad
{
    public static async Task<int> RunAsync(BenchArgs args, CancellationToken ct)
    {
        var leads = args.Int("leads", 100_000);
        var memberCount = args.Int("members", 2_000);
        var profile = args.Flag("profile") ? new CommandProfile() : null;
        await using var bench = await BenchDatabase.CreateAsync(args.String("db"), ct, profile);
        Console.WriteLine($"members: {leads:N0} leads, {memberCount:N0} members, {bench.Describe}, {BenchArgs.Machine}");

        var seeding = Stopwatch.StartNew();
        var (importId, tiers) = await SeedAsync(bench, leads, memberCount, ct);
        Console.WriteLine($"Seeded {leads:N0} leads and {memberCount:N0} members ({string.Join(", ", tiers.Select(t => $"{t.Value:N0} {t.Key}"))}) " +
            $"in {seeding.Elapsed.TotalSeconds:N1} s (bulk path, not timed)");

        var runs = bench.Get<RunDistribution>();
        profile?.Reset();
        GC.Collect();
        var watch = new PhaseWatch();
        var outcome = await runs.RunImportAsync(importId, "bench", ct);
        await watch.DisposeAsync();
        profile?.Print(watch.Elapsed);
        if (outcome is not DistributionOutcome.Ran { Report: { Status: DistributionRunStatus.Completed } report })
            throw new InvalidOperationException($"The run did not complete: {outcome}");

        // Checks: the stored shares are the reported ones, no lead above the cap, one file per served member.
        await using var db = await bench.Dbs.CreateDbContextAsync(ct);
        var stored = await db.Shares.CountAsync(ct);
        var overCap = await db.Shares.GroupBy(s => s.LeadId).CountAsync(g => g.Count() > MemberAllocation.DefaultMaxSharesPerLead, ct);
        var files = await db.MemberFiles.CountAsync(ct);
        var fileLeads = await db.MemberFiles.SumAsync(f => f.LeadCount, ct);
        if (stored != report.Shares || overCap != 0 || files != report.MembersServed || fileLeads != report.Shares)
            throw new InvalidOperationException($"Stored {stored} shares (reported {report.Shares}), {overCap} leads over the cap, {files} files " +
                $"with {fileLeads} leads (served {report.MembersServed}).");

        // The same instance, pure: the run's planner alone and the tier-order greedy.
        var demands = await db.Members.Where(m => !m.Suspended && m.Tier!.Eligible).OrderBy(m => m.Id)
            .Select(m => new MemberDemand(m.Id, m.Tier!.LeadsPerRun)).ToListAsync(ct);
        var supply = await db.Leads.Where(l => l.ImportId == importId).Select(l => new LeadSupply(l.Id, l.Id, 0)).ToListAsync(ct);
        var wanted = demands.Sum(d => (long)d.Wanted);
        var bound = Math.Min(wanted, (long)supply.Count * MemberAllocation.DefaultMaxSharesPerLead);
        var planClock = Stopwatch.StartNew();
        var plan = MemberAllocation.Plan(demands, supply, new HashSet<(long, long)>(), MemberAllocation.DefaultMaxSharesPerLead);
        var planTime = planClock.Elapsed;
        var greedyClock = Stopwatch.StartNew();
        var greedy = TierOrderGreedy.Plan(demands, supply, new HashSet<(long, long)>(), MemberAllocation.DefaultMaxSharesPerLead);
        var greedyTime = greedyClock.Elapsed;
        var greedyShares = greedy.Values.Sum();
        var greedyShort = demands.Count(d => greedy.GetValueOrDefault(d.MemberId) < d.Wanted);

        Console.WriteLine($"RunDistribution on {bench.Describe}: {report.Shares:N0} shares to {report.MembersServed:N0} of {report.EligibleMembers:N0} members " +
            $"in {watch.Elapsed.TotalSeconds:N2} s (CPU {watch.Cpu.TotalSeconds:N2} s); peak working set {PhaseWatch.Mb(watch.PeakWorkingSet)}, " +
            $"peak GC heap {PhaseWatch.Mb(watch.PeakHeap)}, allocated {PhaseWatch.Mb(watch.Allocated)}, gen2 GCs {watch.Gen2Collections}");
        Console.WriteLine($"Same instance, pure: MemberAllocation.Plan {plan.Shares.Count:N0} shares in {planTime.TotalMilliseconds:N0} ms; " +
            $"tier-order greedy {greedyShares:N0} shares in {greedyTime.TotalMilliseconds:N0} ms ({greedyShort} members short); " +
            $"upper bound min(wanted {wanted:N0}, leads × {MemberAllocation.DefaultMaxSharesPerLead}) = {bound:N0}; load average now {BenchArgs.LoadAverage}");
        return 0;
    }

    /// <summary>One member import with N leads, and M members by tier (70 % Bronze, 20 % Silver, the rest Gold); returns the import id.</summary>
    static async Task<(long ImportId, Dictionary<string, int> Tiers)> SeedAsync(BenchDatabase bench, int leads, int memberCount, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        long sourceId, importId;
        var tiers = new Dictionary<string, int>();
        await using (var db = await bench.Dbs.CreateDbContextAsync(ct))
        {
            var tierIds = await db.Tiers.ToDictionaryAsync(t => t.Name, t => t.Id, ct);
            var source = new Source { Name = "META", Key = Source.KeyOf("META"), CreatedAt = now };
            var import = new Import { FileName = "bench-members", Purpose = ImportPurpose.Members, CreatedAt = now, Rows = leads, Accepted = leads };
            db.AddRange(source, import);
            var bronze = memberCount * 7 / 10;
            var silver = memberCount * 2 / 10;
            for (var i = 0; i < memberCount; i++)
            {
                var tier = i < bronze ? "Bronze" : i < bronze + silver ? "Silver" : "Gold";
                tiers[tier] = tiers.GetValueOrDefault(tier) + 1;
                db.Members.Add(new Member { Username = $"member{i:0000}", Email = $"member{i:0000}@example.com", TierId = tierIds[tier], CreatedAt = now });
            }

            await db.SaveChangesAsync(ct);
            (sourceId, importId) = (source.Id, import.Id);
        }

        if (bench.Target.Provider == DatabaseProvider.Postgres) await AssignLoad.CopyLeadsAsync(bench.Target, leads, sourceId, importId, now, ct);
        else await AssignLoad.InsertLeadsAsync(bench.Target, leads, sourceId, importId, now, ct);
        return (importId, tiers);
    }
}
