using System.CommandLine;
using LeadRouter.Cli.Commands;

namespace LeadRouter.Cli;

/// <summary>The command tree of <c>leadrouter</c>.</summary>
static class CliApp
{
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("leadrouter: import leads and route them to agents, members and brokers")
        {
            Globals.Db, Globals.Json, Globals.Verbosity,
        };
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(DbCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(LeadsCommand.Create());
        root.Subcommands.Add(LeadsCommand.Imports());
        root.Subcommands.Add(AgentsCommand.Create());
        root.Subcommands.Add(PoolsCommand.Create());
        root.Subcommands.Add(AssignCommand.Create());
        root.Subcommands.Add(AssignCommand.Stats());
        root.Subcommands.Add(AssignCommand.History());
        root.Subcommands.Add(ReplenishCommand.Create());
        root.Subcommands.Add(UsersCommand.Create());
        root.Subcommands.Add(MembersCommand.Create());
        root.Subcommands.Add(DistributeCommand.Create());
        root.Subcommands.Add(FilesCommand.Create());
        root.Subcommands.Add(BrokersCommand.Create());
        root.Subcommands.Add(SourcesCommand.Create());
        root.Subcommands.Add(RouteCommand.Create());
        root.Subcommands.Add(OverviewCommand.Create());
        root.Subcommands.Add(SchedulesCommand.Create());
        root.Subcommands.Add(OutboxCommand.Create());
        return root;
    }
}
