using Sequin.Autograd;
using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Explain;

public static partial class Explainer
{
    /// <summary>
    /// Builds the explanation of <paramref name="config"/> and confirms it by running a randomly initialised
    /// <see cref="RNN"/>/<see cref="LSTM"/>/<see cref="GRU"/> on random input (and random h_0, c_0): every row's shape is
    /// compared with the tensor the module actually produced or holds, and every identity is evaluated.
    /// </summary>
    /// <param name="config">The configuration to explain.</param>
    /// <param name="seed">Seed of the module's initialisation and of the random input.</param>
    /// <returns>The explanation with every identity <see cref="IdentityStatus.Holds"/> or <see cref="IdentityStatus.Fails"/>.</returns>
    /// <exception cref="InvalidOperationException">A shape in the explanation disagrees with the module (a bug to report).</exception>
    public static Explanation Explain(ExplainConfig config, long seed = 0)
    {
        var explanation = Build(config);
        var (run, actual) = Run(config, seed);
        foreach (var row in explanation.Rows)
        {
            if (actual.TryGetValue(row.Name, out var shape) && shape != new Shape(row.Shape))
            {
                throw new InvalidOperationException(
                    $"explain: the explanation says {row.Name} has shape {row.ShapeText} = {row.Formula}, but the module produced {shape}. This is a bug in Sequin; please report it with the command line.");
            }
        }
        var parameterNames = actual.Keys.Where(k => k.StartsWith("weight_", StringComparison.Ordinal) || k.StartsWith("bias_", StringComparison.Ordinal)).ToList();
        var rowNames = explanation.Rows.Where(r => r.Role == TensorRole.Parameter).Select(r => r.Name).ToList();
        if (!parameterNames.SequenceEqual(rowNames))
        {
            throw new InvalidOperationException(
                $"explain: the module's parameters [{string.Join(", ", parameterNames)}] differ from the explanation's [{string.Join(", ", rowNames)}]. This is a bug in Sequin; please report it.");
        }
        var checkedIdentities = IdentitySpecs(config).Select(s => Evaluate(s, run)).ToList();
        return explanation with { Identities = checkedIdentities };
    }

    /// <summary>Creates the module described by <paramref name="config"/> (float32, seeded initialisation).</summary>
    public static RNNBase CreateModule(ExplainConfig config, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Mode switch
        {
            RecurrentKind.Lstm => new LSTM(config.InputSize, config.HiddenSize, config.NumLayers, config.Bias, config.BatchFirst, 0,
                config.Bidirectional, config.ProjSize, DType.Float32, generator),
            RecurrentKind.Gru => new GRU(config.InputSize, config.HiddenSize, config.NumLayers, config.Bias, config.BatchFirst, 0,
                config.Bidirectional, DType.Float32, generator),
            _ => new RNN(config.InputSize, config.HiddenSize, config.NumLayers, config.Nonlinearity, config.Bias, config.BatchFirst, 0,
                config.Bidirectional, DType.Float32, generator),
        };
    }

    /// <summary>
    /// Runs the module once (plainly, or packed when lengths are given) and returns output/h_n/c_n plus the actual shape
    /// of every tensor the explanation has a row for.
    /// </summary>
    internal static (ExplainRun Run, Dictionary<string, Shape> Shapes) Run(ExplainConfig c, long seed)
    {
        c.Validate();
        using var noGrad = new NoGrad();
        var g = new Generator(seed);
        var module = CreateModule(c, g);
        var input = Tensor.Randn(SequenceShape(c, c.InputSize), DType.Float32, g);
        var h0 = Tensor.Randn(StateShape(c, c.HiddenOutSize), DType.Float32, g);
        var c0 = c.Mode == RecurrentKind.Lstm ? Tensor.Randn(StateShape(c, c.HiddenSize), DType.Float32, g) : null;
        var shapes = new Dictionary<string, Shape> { ["input"] = input.Shape, ["h_0"] = h0.Shape };
        if (c0 is not null)
        {
            shapes["c_0"] = c0.Shape;
        }
        var (output, hN, cN) = Forward(module, c, input, h0, c0, shapes, record: true);
        shapes["output"] = output.Shape;
        shapes["h_n"] = hN.Shape;
        if (cN is not null)
        {
            shapes["c_n"] = cN.Shape;
        }
        foreach (var (name, p) in module.NamedParameters())
        {
            shapes[name] = p.Shape;
        }
        Tensor? layer0 = null;
        if (c.NumLayers > 1)
        {
            var one = c with { NumLayers = 1 };
            var single = CreateModule(one);
            var weights = module.StateDict().Where(kv => kv.Key.Contains("_l0", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
            single.LoadStateDict(weights, strict: true);
            var d = c.NumDirections;
            (_, layer0, _) = Forward(single, one, input, h0.Narrow(0, 0, d), c0?.Narrow(0, 0, d), shapes, record: false);
        }
        return (new ExplainRun(output, hN, cN, layer0), shapes);
    }

    private static (Tensor Output, Tensor HN, Tensor? CN) Forward(RNNBase module, ExplainConfig c, Tensor input, Tensor h0, Tensor? c0,
        Dictionary<string, Shape> shapes, bool record)
    {
        if (c.Lengths is { } lengths)
        {
            var packed = RnnUtils.PackPaddedSequence(input, lengths.ToArray(), c.BatchFirst, enforceSorted: false);
            if (record)
            {
                shapes["packed.data"] = packed.Data.Shape;
                shapes["packed.batch_sizes"] = packed.BatchSizes.Shape;
            }
            PackedSequence packedOut;
            Tensor hN;
            Tensor? cN = null;
            switch (module)
            {
                case LSTM lstm:
                    (packedOut, hN, cN) = lstm.Forward(packed, h0, c0);
                    break;
                case GRU gru:
                    (packedOut, hN) = gru.Forward(packed, h0);
                    break;
                default:
                    (packedOut, hN) = ((RNN)module).Forward(packed, h0);
                    break;
            }
            if (record)
            {
                shapes["packed output.data"] = packedOut.Data.Shape;
            }
            var (padded, _) = RnnUtils.PadPackedSequence(packedOut, c.BatchFirst, 0, c.EffectiveSeqLen);
            return (padded, hN, cN);
        }
        return module switch
        {
            LSTM lstm => lstm.Forward(input, h0, c0),
            GRU gru => WithoutC(gru.Forward(input, h0)),
            _ => WithoutC(((RNN)module).Forward(input, h0)),
        };
    }

    private static (Tensor Output, Tensor HN, Tensor? CN) WithoutC((Tensor Output, Tensor HN) r) => (r.Output, r.HN, null);
}
