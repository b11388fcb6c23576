using Sequin.Tensors;

namespace Sequin.Autograd;

/// <summary>
/// One recorded operation in the autograd graph (<c>tensor.grad_fn</c>): the inputs it consumed and the rule
/// that maps the gradient of its output to the gradients of those inputs.
/// </summary>
public sealed class Node
{
    private readonly Func<Tensor, Tensor?[]> backward;
    private Action? release;
    private bool released;

    internal Node(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward, Action? release = null)
    {
        Name = name;
        Inputs = inputs;
        this.backward = backward;
        this.release = release;
    }

    /// <summary>PyTorch-style name of the backward function, e.g. <c>AddBackward0</c>.</summary>
    public string Name { get; }

    /// <summary>The tensors this operation read; their gradients are what <see cref="Apply"/> returns, in order.</summary>
    public IReadOnlyList<Tensor> Inputs { get; }

    /// <summary>Computes the input gradients from the output gradient (null where an input needs none).</summary>
    internal Tensor?[] Apply(Tensor gradOutput)
    {
        if (released)
        {
            throw new InvalidOperationException(
                $"Backward: trying to backward through {Name} a second time, but the activations it saved were freed after the " +
                "first backward (as in PyTorch). Pass retainGraph: true to the first Backward call if you need to backward " +
                "through the same graph more than once, or run the forward again.");
        }
        return backward(gradOutput);
    }

    /// <summary>
    /// Frees what the node saved for backward (only nodes that hold large buffers have something to free), after the
    /// engine has applied it without <c>retainGraph</c>. A later <see cref="Apply"/> throws.
    /// </summary>
    internal void Release()
    {
        if (release is { } r)
        {
            release = null;
            released = true;
            r();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"<{Name}>";
}

/// <summary>
/// Disables gradient recording on the current thread while alive (<c>torch.no_grad()</c>):
/// <c>using (new NoGrad()) { ... }</c>. Nests.
/// </summary>
public readonly struct NoGrad : IDisposable
{
    [ThreadStatic]
    private static int depth;

    /// <summary>Enters a no-grad region.</summary>
    public NoGrad() => depth++;

    /// <summary>Whether gradient recording is currently enabled on this thread.</summary>
    public static bool IsGradEnabled => depth == 0;

    /// <summary>Leaves the region.</summary>
    public void Dispose() => depth--;
}
