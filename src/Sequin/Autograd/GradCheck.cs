using Sequin.Tensors;

namespace Sequin.Autograd;

/// <summary>
/// Compares analytical gradients from <see cref="Tensor.Backward(Tensor?, bool)"/> with central finite differences in
/// float64 (<c>torch.autograd.gradcheck</c>). The function's output is reduced with fixed random weights, so every
/// output element contributes.
/// </summary>
public static class GradCheck
{
    /// <summary>The largest discrepancy found by <see cref="Run"/>, and where.</summary>
    /// <param name="Passed">Whether every gradient element was within tolerance.</param>
    /// <param name="MaxAbsError">Largest |analytical − numerical| over all inputs and elements.</param>
    /// <param name="Message">A description of the worst element.</param>
    public readonly record struct Result(bool Passed, double MaxAbsError, string Message);

    /// <summary>
    /// Checks <paramref name="function"/>'s gradient with respect to every input that requires grad. Inputs must be
    /// float64. Passes when <c>|analytical − numerical| ≤ atol + rtol·|numerical|</c> for every element.
    /// </summary>
    public static Result Run(Func<Tensor[], Tensor> function, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3, long seed = 1234)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (var x in inputs)
        {
            if (x.RequiresGrad && x.DType != DType.Float64)
            {
                throw new ArgumentException($"GradCheck needs float64 inputs for accurate finite differences; got {x.DType.TorchName()} of shape {x.Shape}.");
            }
        }
        Tensor weights;
        using (new NoGrad())
        {
            weights = Tensor.RandLike(function(inputs).Detach().Double(), new Generator(seed)).Add(0.5);
        }
        double Objective()
        {
            using var _ = new NoGrad();
            return function(inputs).Double().Mul(weights).Sum().Item();
        }

        foreach (var x in inputs)
        {
            x.Grad = null;
        }
        function(inputs).Double().Mul(weights).Sum().Backward();

        var worst = 0.0;
        var message = "all gradients match";
        var passed = true;
        for (var k = 0; k < inputs.Length; k++)
        {
            var x = inputs[k];
            if (!x.RequiresGrad)
            {
                continue;
            }
            var analytical = x.Grad?.ToDoubleArray() ?? new double[x.Numel];
            var flatIndex = 0;
            foreach (var idx in AllIndices(x.ShapeArray))
            {
                var orig = x.GetValue(idx);
                x.SetValue(orig + eps, idx);
                var plus = Objective();
                x.SetValue(orig - eps, idx);
                var minus = Objective();
                x.SetValue(orig, idx);
                var numerical = (plus - minus) / (2 * eps);
                var err = Math.Abs(analytical[flatIndex] - numerical);
                if (err > worst)
                {
                    worst = err;
                }
                if (err > atol + rtol * Math.Abs(numerical) && passed)
                {
                    passed = false;
                    message = $"input {k} (shape {x.Shape}) element {ShapeUtil.Format(idx)}: analytical {analytical[flatIndex]:G10}, numerical {numerical:G10}";
                }
                flatIndex++;
            }
        }
        return new Result(passed, worst, message);
    }

    private static IEnumerable<int[]> AllIndices(int[] shape)
    {
        var n = ShapeUtil.Numel(shape);
        for (var i = 0; i < n; i++)
        {
            var idx = new int[shape.Length];
            var rem = i;
            for (var d = shape.Length - 1; d >= 0; d--)
            {
                idx[d] = rem % shape[d];
                rem /= shape[d];
            }
            yield return idx;
        }
    }
}
