using System.Globalization;
using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Verification;

/// <summary>
/// What an <see cref="IGoldenHandler"/> works with: the case, the dtype to compute in, and the comparison sink that
/// records the largest errors and the first tensor out of tolerance.
/// </summary>
public sealed class GoldenContext
{
    private readonly List<string> checkedNames = [];

    internal GoldenContext(GoldenCase goldenCase, DType dtype, GoldenRunOptions options)
    {
        Case = goldenCase;
        DType = dtype;
        Options = options;
        Tolerance = GoldenTolerance.For(dtype).Scale(options.ToleranceScale);
    }

    /// <summary>The case being run.</summary>
    public GoldenCase Case { get; }

    /// <summary>The dtype to compute in (weights and inputs are converted to it).</summary>
    public DType DType { get; }

    /// <summary>The run options.</summary>
    public GoldenRunOptions Options { get; }

    /// <summary>The tolerance applied by <see cref="Check(string, Tensor?, Tensor)"/> (golden tolerance for <see cref="DType"/>, scaled).</summary>
    public GoldenTolerance Tolerance { get; }

    /// <summary>Largest |got − want| so far.</summary>
    public double MaxAbs { get; private set; }

    /// <summary>Largest |got − want| / |want| (want ≠ 0) so far.</summary>
    public double MaxRel { get; private set; }

    /// <summary>The first tensor out of tolerance, or null.</summary>
    public string? FailingTensor { get; private set; }

    /// <summary>What was wrong with <see cref="FailingTensor"/>.</summary>
    public string? FailureMessage { get; private set; }

    /// <summary>The names checked so far, in order.</summary>
    public IReadOnlyList<string> Checked => checkedNames;

    /// <summary>The case tensor <paramref name="name"/> converted to <see cref="DType"/>, without gradient.</summary>
    /// <param name="name">Tensor name, e.g. <c>grad_output</c>.</param>
    public Tensor Value(string name)
    {
        var t = Case.Get(name);
        return t.DType.IsFloatingPoint() ? t.To(DType).Detach() : t;
    }

    /// <summary>The case tensor <paramref name="name"/> converted to <see cref="DType"/> as a fresh leaf that requires grad (inputs, h0, c0).</summary>
    /// <param name="name">Tensor name, e.g. <c>input</c>.</param>
    public Tensor Leaf(string name) => Case.Get(name).To(DType).DetachedCopy().RequiresGrad_();

    /// <summary>
    /// Loads the module's parameters from the case tensors of the same names (with <paramref name="prefix"/>, e.g. <c>rnn.</c>),
    /// converting them to the module's dtype.
    /// </summary>
    /// <param name="module">The module built from the metadata.</param>
    /// <param name="prefix">Prefix of the parameter names in the case file.</param>
    public void LoadParameters(Module module, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(module);
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, _) in module.NamedParameters())
        {
            state[name] = Case.Get(prefix + name);
        }
        module.LoadStateDict(state);
    }

    /// <summary>Compares <paramref name="got"/> with the case tensor of the same name.</summary>
    /// <param name="name">Name of the expected tensor in the case (e.g. <c>output</c>, <c>grad.input</c>).</param>
    /// <param name="got">The computed tensor; null (e.g. a gradient that never arrived) fails.</param>
    public void Check(string name, Tensor? got) => Check(name, got, Case.Get(name));

    /// <summary>Checks <c>grad.&lt;prefix+name&gt;</c> for every parameter of <paramref name="module"/>.</summary>
    /// <param name="module">The module after backward.</param>
    /// <param name="prefix">Prefix of the parameter names in the case file.</param>
    public void CheckParameterGradients(Module module, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var (name, p) in module.NamedParameters())
        {
            Check("grad." + prefix + name, p.Grad);
        }
    }

    /// <summary>
    /// Compares <paramref name="got"/> with <paramref name="want"/> element by element under <see cref="Tolerance"/>,
    /// updating <see cref="MaxAbs"/>/<see cref="MaxRel"/> and, on the first failure, <see cref="FailingTensor"/>.
    /// </summary>
    /// <param name="name">Name for the report.</param>
    /// <param name="got">The computed tensor.</param>
    /// <param name="want">The reference tensor.</param>
    public void Check(string name, Tensor? got, Tensor want)
    {
        ArgumentNullException.ThrowIfNull(want);
        checkedNames.Add(name);
        if (got is null)
        {
            Fail(name, "no value was produced (a gradient that did not reach this tensor?)");
            return;
        }
        if (got.Shape != want.Shape)
        {
            Fail(name, $"shape {got.Shape}, expected {want.Shape}");
            return;
        }
        var g = got.ToDoubleArray();
        var w = want.ToDoubleArray();
        var worstIndex = -1;
        var worstRatio = 0.0;
        for (var i = 0; i < g.Length; i++)
        {
            var diff = Math.Abs(g[i] - w[i]);
            if (double.IsNaN(g[i]) != double.IsNaN(w[i]))
            {
                diff = double.PositiveInfinity;
            }
            else if (double.IsNaN(diff) || g[i] == w[i])
            {
                diff = 0; // both NaN, or equal infinities
            }
            MaxAbs = Math.Max(MaxAbs, diff);
            if (w[i] != 0)
            {
                MaxRel = Math.Max(MaxRel, diff / Math.Abs(w[i]));
            }
            var ratio = diff / (Tolerance.Atol + Tolerance.Rtol * Math.Abs(w[i]));
            if (!Tolerance.Accepts(g[i], w[i]) && (worstIndex < 0 || ratio > worstRatio))
            {
                worstIndex = i;
                worstRatio = ratio;
            }
        }
        if (worstIndex >= 0)
        {
            var idx = ShapeUtil.Format(Unravel(worstIndex, want.ShapeArray));
            var bad = Enumerable.Range(0, g.Length).Count(i => !Tolerance.Accepts(g[i], w[i]));
            Fail(name, string.Create(CultureInfo.InvariantCulture,
                $"{bad} of {g.Length} elements out of tolerance; worst at {idx}: got {g[worstIndex]:G17}, want {w[worstIndex]:G17}, " +
                $"|diff| {GoldenResult.Format(Math.Abs(g[worstIndex] - w[worstIndex]))} > {GoldenResult.Format(Tolerance.Atol)} + {GoldenResult.Format(Tolerance.Rtol)}·|want|"));
        }
    }

    private static int[] Unravel(int flat, int[] shape)
    {
        var idx = new int[shape.Length];
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }

    /// <summary>Records a failure that is not an element comparison (e.g. an exception); the first failure is kept.</summary>
    /// <param name="name">What failed.</param>
    /// <param name="message">Why.</param>
    public void Fail(string name, string message)
    {
        if (FailingTensor is null)
        {
            FailingTensor = name;
            FailureMessage = message;
        }
    }
}
