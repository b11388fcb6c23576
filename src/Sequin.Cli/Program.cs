using System.CommandLine;

namespace Sequin.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("sequin — PyTorch-exact RNN, LSTM and GRU in pure .NET: train, generate, explain, verify.");
        // Each command lives in Commands/<Name>Command.cs and exposes Create().
        root.Subcommands.Add(Commands.ExplainCommand.Create());
        root.Subcommands.Add(Commands.VerifyCommand.Create());
        return root.Parse(args).Invoke();
    }
}
