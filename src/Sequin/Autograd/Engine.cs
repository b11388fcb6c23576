using Sequin.Tensors;

namespace Sequin.Autograd;

/// <summary>
/// The reverse-mode engine: orders the graph behind a tensor topologically (iteratively, so a BPTT graph of
/// thousands of steps cannot overflow the stack), then applies each node's backward rule once, summing the
/// gradients that flow into each tensor, and accumulates into the <see cref="Tensor.Grad"/> of leaves.
/// </summary>
internal static class Engine
{
    /// <summary>Backpropagates <paramref name="gradRoot"/> from <paramref name="root"/>; without <paramref name="retainGraph"/> each applied node then frees what it saved.</summary>
    public static void Run(Tensor root, Tensor gradRoot, bool retainGraph = false)
    {
        var order = TopologicalOrder(root);
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [root] = gradRoot };
        using var _ = new NoGrad();
        for (var i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            if (!grads.Remove(t, out var g))
            {
                continue;
            }
            if (t.GradFn is null)
            {
                if (t.RequiresGrad)
                {
                    var gl = g.Shape == t.Shape ? g : g.Expand(t.ShapeArray);
                    t.Grad = t.Grad is null ? gl.DetachedCopy() : t.Grad.Add(gl);
                }
                continue;
            }
            var inputGrads = t.GradFn.Apply(g);
            if (!retainGraph)
            {
                t.GradFn.Release();
            }
            var inputs = t.GradFn.Inputs;
            for (var k = 0; k < inputs.Count; k++)
            {
                var gi = inputGrads[k];
                var input = inputs[k];
                if (gi is null || !input.RequiresGrad)
                {
                    continue;
                }
                if (gi.Shape != input.Shape)
                {
                    throw new InvalidOperationException(
                        $"Internal autograd error: {t.GradFn.Name} returned a gradient of shape {gi.Shape} for an input of shape {input.Shape}.");
                }
                if (gi.DType != input.DType)
                {
                    // A float32 input of a promoting op (float32 · float64) receives a float32 gradient, as in PyTorch.
                    gi = gi.To(input.DType);
                }
                grads[input] = grads.TryGetValue(input, out var prev) ? prev.Add(gi) : gi;
            }
        }
    }

    /// <summary>Tensors reachable from <paramref name="root"/> through grad_fn edges, in post-order (inputs before users).</summary>
    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor T, int Next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn?.Inputs;
            if (inputs is not null && next < inputs.Count)
            {
                stack.Push((t, next + 1));
                var child = inputs[next];
                if (child.RequiresGrad && visited.Add(child))
                {
                    stack.Push((child, 0));
                }
                continue;
            }
            order.Add(t);
        }
        return order;
    }
}
