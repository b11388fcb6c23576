using BenchmarkDotNet.Running;

namespace Sequin.Benchmarks;

internal static class Program
{
    private static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "gemm")
        {
            GemmQuick.Run(args);
            return;
        }
        if (args.Length > 0 && args[0] == "act")
        {
            ActivationsQuick.Run();
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
