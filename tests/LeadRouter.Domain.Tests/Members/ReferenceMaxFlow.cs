using LeadRouter.Domain.Members;

namespace LeadRouter.Domain.Tests.Members;

/// <summary>
/// Exact reference for DESIGN rule 4: Dinic's max flow over the whole member–lead graph
/// (source → member, capacity = want; member → lead, capacity 1 unless a prior pair; lead → sink,
/// capacity = room left). Only for small instances: it builds every edge.
/// </summary>
internal static class ReferenceMaxFlow
{
    /// <summary>The most shares any plan can hand out; <paramref name="memberCaps"/> replaces the wants if given.</summary>
    public static int Of(AllocationCase c, IReadOnlyDictionary<long, int>? memberCaps = null)
    {
        var m = c.Members.Length;
        var n = c.Leads.Length;
        var graph = new Dinic(m + n + 2);
        int source = m + n, sink = m + n + 1;
        for (var i = 0; i < m; i++)
        {
            graph.Add(source, i, memberCaps?[c.Members[i].MemberId] ?? c.Members[i].Wanted);
            for (var j = 0; j < n; j++)
                if (!c.Prior.Contains((c.Members[i].MemberId, c.Leads[j].LeadId))) graph.Add(i, m + j, 1);
        }

        for (var j = 0; j < n; j++) graph.Add(m + j, sink, Math.Max(0, c.MaxShares - c.Leads[j].SharesSoFar));
        return graph.MaxFlow(source, sink);
    }

    sealed class Dinic(int nodes)
    {
        readonly List<(int To, int Rev, int Cap)>[] adj = Enumerable.Range(0, nodes).Select(_ => new List<(int, int, int)>()).ToArray();
        readonly int[] level = new int[nodes];
        readonly int[] next = new int[nodes];

        public void Add(int from, int to, int cap)
        {
            adj[from].Add((to, adj[to].Count, cap));
            adj[to].Add((from, adj[from].Count - 1, 0));
        }

        public int MaxFlow(int s, int t)
        {
            var flow = 0;
            while (Bfs(s, t))
            {
                Array.Fill(next, 0);
                int pushed;
                while ((pushed = Dfs(s, t, int.MaxValue)) > 0) flow += pushed;
            }

            return flow;
        }

        bool Bfs(int s, int t)
        {
            Array.Fill(level, -1);
            level[s] = 0;
            var queue = new Queue<int>([s]);
            while (queue.TryDequeue(out var u))
                foreach (var (to, _, cap) in adj[u])
                    if (cap > 0 && level[to] < 0)
                    {
                        level[to] = level[u] + 1;
                        queue.Enqueue(to);
                    }

            return level[t] >= 0;
        }

        int Dfs(int u, int t, int limit)
        {
            if (u == t) return limit;
            for (; next[u] < adj[u].Count; next[u]++)
            {
                var (to, rev, cap) = adj[u][next[u]];
                if (cap <= 0 || level[to] != level[u] + 1) continue;
                var pushed = Dfs(to, t, Math.Min(limit, cap));
                if (pushed <= 0) continue;
                adj[u][next[u]] = (to, rev, cap - pushed);
                var back = adj[to][rev];
                adj[to][rev] = back with { Cap = back.Cap + pushed };
                return pushed;
            }

            return 0;
        }
    }
}
