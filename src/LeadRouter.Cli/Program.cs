using LeadRouter.Cli;

return await CliEntry.InvokeAsync(CliApp.CreateRoot(), args);
