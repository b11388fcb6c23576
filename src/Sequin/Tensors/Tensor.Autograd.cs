using Sequin.Autograd;

namespace Sequin.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Computes the gradient of this tensor with respect to every leaf that requires gradients and adds it to
    /// their <see cref="Grad"/> (gradients accumulate across calls, as in PyTorch; call <see cref="ZeroGrad"/> or a
    /// module's ZeroGrad between steps). Without <paramref name="gradient"/> this tensor must hold one element.
    /// </summary>
    /// <param name="gradient">The upstream gradient, of this tensor's shape; defaults to 1 for a one-element tensor.</param>
    /// <param name="retainGraph">
    /// PyTorch's <c>retain_graph</c>: keep what the graph's nodes saved, so that Backward can run through the same graph
    /// again. By default nodes that hold large saved activations (the fused recurrent layers) free them once applied,
    /// and a second Backward through them throws.
    /// </param>
    public void Backward(Tensor? gradient = null, bool retainGraph = false)
    {
        if (!RequiresGrad)
        {
            throw new InvalidOperationException(
                "Backward: this tensor does not require grad and has no grad_fn. Set RequiresGrad = true on the leaves " +
                "(parameters, inputs) before computing it, and do not compute it inside a NoGrad scope.");
        }
        if (gradient is null)
        {
            if (Numel != 1)
            {
                throw new InvalidOperationException(
                    $"Backward: grad can be implicitly created only for one-element outputs; this tensor has shape {Shape}. " +
                    "Pass a gradient of the same shape, or reduce first (e.g. loss.Sum()).");
            }
            gradient = OnesLike(this);
        }
        else if (gradient.Shape != Shape)
        {
            throw new ArgumentException($"Backward: gradient has shape {gradient.Shape} but the tensor has shape {Shape}; they must match.", nameof(gradient));
        }
        Engine.Run(this, gradient.DType == DType ? gradient : gradient.To(DType), retainGraph);
    }

    /// <summary>A tensor sharing this one's storage but cut off from the graph (<c>tensor.detach()</c>).</summary>
    public Tensor Detach() => ViewOf(shape, strides, Offset);

    /// <summary>Clears <see cref="Grad"/> (PyTorch's default <c>set_to_none=True</c>).</summary>
    public void ZeroGrad() => Grad = null;

    /// <summary>A contiguous copy with no history.</summary>
    internal Tensor DetachedCopy()
    {
        // Gathered straight into uninitialised storage: going through CopyInto gathered into a temporary array and
        // copied that into zeroed storage, two large allocations for every strided copy (the language model's
        // batch-first output, 1.1 MB, took 350 µs to reshape).
        var r = Uninitialized((int[])shape.Clone(), DType);
        switch (DType)
        {
            case DType.Float32: Strided.Gather(Data<float>(), Offset, shape, strides, r.Data<float>().AsSpan(0, r.Numel)); break;
            case DType.Float64: Strided.Gather(Data<double>(), Offset, shape, strides, r.Data<double>().AsSpan(0, r.Numel)); break;
            default: Strided.Gather(Data<long>(), Offset, shape, strides, r.Data<long>().AsSpan(0, r.Numel)); break;
        }
        return r;
    }

    /// <summary>Attaches a backward rule to <paramref name="result"/> when recording and any input requires grad.</summary>
    internal static Tensor Record(Tensor result, string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward, Action? release = null)
    {
        if (!NoGrad.IsGradEnabled)
        {
            return result;
        }
        foreach (var t in inputs)
        {
            if (t.RequiresGrad)
            {
                result.GradFn = new Node(name, inputs, backward, release);
                result.requiresGrad = true;
                return result;
            }
        }
        return result;
    }

    /// <summary>Throws when an in-place operation would corrupt the graph.</summary>
    internal void CheckInPlace(string op)
    {
        if (NoGrad.IsGradEnabled && RequiresGrad)
        {
            throw new InvalidOperationException(
                $"{op}: a tensor that requires grad cannot be modified in place while gradients are recorded " +
                "(its old value may be needed for backward). Use the out-of-place form, or wrap the update in `using (new NoGrad())` " +
                "as optimizers do.");
        }
    }
}
