using Sequin.Autograd;
using Sequin.Tensors;

namespace Sequin.Tests.Tensors;

/// <summary>Assertions shared by the tensor and autograd tests.</summary>
internal static class Check
{
    /// <summary>Asserts the shape and the row-major values (to a relative 1e-6, or exactly for integers).</summary>
    public static void Values(Tensor t, int[] shape, params double[] expected)
    {
        Assert.Equal(new Shape(shape), t.Shape);
        var actual = t.ToDoubleArray();
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var tol = 1e-6 * Math.Max(1, Math.Abs(expected[i]));
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tol || actual[i].Equals(expected[i]),
                $"element {i}: expected {expected[i]}, got {actual[i]} (tensor {t})");
        }
    }

    /// <summary>Asserts that two tensors have the same shape and values within <paramref name="tol"/>.</summary>
    public static void Close(Tensor expected, Tensor actual, double tol = 1e-9)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        for (var i = 0; i < e.Length; i++)
        {
            Assert.True(Math.Abs(e[i] - a[i]) <= tol * Math.Max(1, Math.Abs(e[i])), $"element {i}: expected {e[i]}, got {a[i]}");
        }
    }

    /// <summary>Asserts that <see cref="GradCheck"/> accepts <paramref name="f"/>'s backward at <paramref name="inputs"/>.</summary>
    public static void Grad(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var r = GradCheck.Run(f, inputs);
        Assert.True(r.Passed, r.Message);
    }

    /// <summary>A float64 standard-normal leaf that requires grad.</summary>
    public static Tensor R(Generator g, params int[] shape) => Tensor.Randn(shape, DType.Float64, g, requiresGrad: true);

    /// <summary>A float64 leaf of uniform values in [low, high) that requires grad.</summary>
    public static Tensor U(Generator g, double low, double high, params int[] shape)
        => Tensor.Rand(shape, DType.Float64, g, low, high, requiresGrad: true);

    /// <summary>The float64 tensor 0, 1, ..., n−1 viewed as <paramref name="shape"/>.</summary>
    public static Tensor Seq(params int[] shape) => Tensor.Arange(0, ShapeUtilNumel(shape), 1, DType.Float64).View(shape);

    private static int ShapeUtilNumel(int[] shape) => shape.Aggregate(1, (a, b) => a * b);
}
