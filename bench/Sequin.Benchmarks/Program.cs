using BenchmarkDotNet.Running;

namespace Sequin.Benchmarks;

internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "compare")
        {
            return Compare.Run(args);
        }
        if (args.Length > 0 && args[0] == "gemm")
        {
            GemmQuick.Run(args);
            return 0;
        }
        if (args.Length > 0 && args[0] == "layer")
        {
            LayerQuick.Run(args);
            return 0;
        }
        if (args.Length > 0 && args[0] == "lm")
        {
            LmQuick.Run(args);
            return 0;
        }
        if (args.Length > 0 && args[0] == "fused")
        {
            FusedQuick.Run(args);
            return 0;
        }
        if (args.Length > 0 && args[0] == "alloc")
        {
            AllocProbe.Run();
            return 0;
        }
        if (args.Length > 0 && args[0] == "gates")
        {
            GatesQuick.Run();
            return 0;
        }
        if (args.Length > 0 && args[0] == "act")
        {
            ActivationsQuick.Run();
            return 0;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
