using Sequin.Kernels;
using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Benchmarks;

internal static class AllocProbe
{
    internal static void Run()
    {
        Parallelism.MaxThreads = 1;
        var a = new float[2 * 32];
        var b = new float[128 * 32];
        var c = new float[2 * 128];
        for (var i = 0; i < 300; i++)
        {
            Gemm.Sgemm(false, true, 2, 128, 32, 1f, a, 32, b, 32, 0f, c, 128);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        Gemm.Sgemm(false, true, 2, 128, 32, 1f, a, 32, b, 32, 0f, c, 128);
        Console.WriteLine($"sgemm: {GC.GetAllocatedBytesForCurrentThread() - before}");
        var g = new float[2 * 128];
        var cc = new float[2 * 32];
        var h = new float[2 * 32];
        RecurrentKernels.LstmForward<float>(g, g, [], cc, g, cc, h, 2, 32);
        before = GC.GetAllocatedBytesForCurrentThread();
        RecurrentKernels.LstmForward<float>(g, g, [], cc, g, cc, h, 2, 32);
        Console.WriteLine($"lstm kernel: {GC.GetAllocatedBytesForCurrentThread() - before}");
        var m = new LSTM(16, 32, numLayers: 2, generator: new Generator(9));
        var state = m.CreateState(2);
        var x = new float[2 * 16];
        var y = new float[2 * 32];
        for (var i = 0; i < 300; i++)
        {
            m.Step(x, state, y);
        }
        before = GC.GetAllocatedBytesForCurrentThread();
        m.Step(x, state, y);
        Console.WriteLine($"step: {GC.GetAllocatedBytesForCurrentThread() - before}");
    }
}
