namespace Sequin.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.WriteLine("sequin: commands arrive with the training issue. Usage: sequin <train|generate|explain|verify>");
        return args.Length == 0 ? 0 : 0;
    }
}
