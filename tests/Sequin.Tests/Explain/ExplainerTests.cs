using System.Text.Json;
using System.Xml.Linq;
using Sequin.Explain;
using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Tests.Explain;

public class ExplainerTests
{
    /// <summary>Random configurations, drawn with a fixed seed so failures reproduce.</summary>
    public static TheoryData<int> ConfigSeeds()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < 40; i++)
        {
            data.Add(i);
        }
        return data;
    }

    internal static ExplainConfig RandomConfig(int seed)
    {
        var r = new Random(seed);
        var mode = (RecurrentKind)r.Next(3);
        var hidden = r.Next(2, 7);
        var batched = r.Next(4) != 0;
        return new ExplainConfig
        {
            Mode = mode,
            InputSize = r.Next(1, 6),
            HiddenSize = hidden,
            NumLayers = r.Next(1, 4),
            Bidirectional = r.Next(2) == 0,
            BatchFirst = r.Next(2) == 0,
            ProjSize = mode == RecurrentKind.Lstm && r.Next(3) == 0 ? r.Next(1, hidden) : 0,
            Nonlinearity = r.Next(2) == 0 ? "tanh" : "relu",
            Bias = r.Next(4) != 0,
            SeqLen = r.Next(1, 7),
            Batch = batched ? r.Next(1, 5) : null,
        };
    }

    // Builds the module and input from the configuration independently of Explainer, runs it, and returns actual shapes.
    private static Dictionary<string, Shape> RunDirectly(ExplainConfig c)
    {
        var g = new Generator(123);
        var t = c.SeqLen!.Value;
        int[] inputShape = c.Batch is { } b ? c.BatchFirst ? [b, t, c.InputSize] : [t, b, c.InputSize] : [t, c.InputSize];
        var input = Tensor.Randn(inputShape, DType.Float32, g);
        var shapes = new Dictionary<string, Shape> { ["input"] = input.Shape };
        RNNBase module;
        switch (c.Mode)
        {
            case RecurrentKind.Lstm:
                var lstm = new LSTM(c.InputSize, c.HiddenSize, c.NumLayers, c.Bias, c.BatchFirst, 0, c.Bidirectional, c.ProjSize, generator: g);
                var (o, h, cc) = lstm.Forward(input);
                (shapes["output"], shapes["h_n"], shapes["c_n"]) = (o.Shape, h.Shape, cc.Shape);
                module = lstm;
                break;
            case RecurrentKind.Gru:
                var gru = new GRU(c.InputSize, c.HiddenSize, c.NumLayers, c.Bias, c.BatchFirst, 0, c.Bidirectional, generator: g);
                var (go, gh) = gru.Forward(input);
                (shapes["output"], shapes["h_n"]) = (go.Shape, gh.Shape);
                module = gru;
                break;
            default:
                var rnn = new RNN(c.InputSize, c.HiddenSize, c.NumLayers, c.Nonlinearity, c.Bias, c.BatchFirst, 0, c.Bidirectional, generator: g);
                var (ro, rh) = rnn.Forward(input);
                (shapes["output"], shapes["h_n"]) = (ro.Shape, rh.Shape);
                module = rnn;
                break;
        }
        // h_0/c_0 take the shapes of h_n/c_n (PyTorch's contract); the layer validates any other shape.
        shapes["h_0"] = shapes["h_n"];
        if (shapes.TryGetValue("c_n", out var cn))
        {
            shapes["c_0"] = cn;
        }
        foreach (var (name, p) in module.NamedParameters())
        {
            shapes[name] = p.Shape;
        }
        return shapes;
    }

    [Theory]
    [MemberData(nameof(ConfigSeeds))]
    public void Shapes_MatchRunningTheModule_ForRandomConfigurations(int seed)
    {
        var config = RandomConfig(seed);
        var e = Explainer.Build(config);
        var actual = RunDirectly(config);
        Assert.Equal(actual.Keys.Order(StringComparer.Ordinal), e.Rows.Select(r => r.Name).Order(StringComparer.Ordinal));
        foreach (var row in e.Rows)
        {
            Assert.True(actual[row.Name] == new Shape(row.Shape), $"{Explainer.ModuleCall(config)}: {row.Name} explained as {row.ShapeText}, module gave {actual[row.Name]}");
            Assert.Equal(actual[row.Name].ToString(), row.ShapeText);
        }
        var parameterNames = actual.Keys.Where(k => k.StartsWith("weight_", StringComparison.Ordinal) || k.StartsWith("bias_", StringComparison.Ordinal));
        Assert.Equal(parameterNames.Sum(k => (long)actual[k].Numel), e.ParameterCount);
    }

    [Theory]
    [MemberData(nameof(ConfigSeeds))]
    public void Identities_AllHold_WhenCheckedByRunningTheModule(int seed)
    {
        var config = RandomConfig(seed);
        var e = Explainer.Explain(config, seed);
        Assert.NotEmpty(e.Identities);
        foreach (var id in e.Identities)
        {
            Assert.True(id.Status == IdentityStatus.Holds, $"{Explainer.ModuleCall(config)}: {id.Expression} — {id.Status} ({id.Detail})");
        }
    }

    [Theory]
    [MemberData(nameof(ConfigSeeds))]
    public void Identities_AllHold_ForPaddedBatchesWithLengths(int seed)
    {
        var r = new Random(1000 + seed);
        var batch = r.Next(1, 5);
        var t = r.Next(1, 7);
        var lengths = Enumerable.Range(0, batch).Select(_ => r.Next(1, t + 1)).ToArray();
        var config = RandomConfig(seed) with { Batch = null, SeqLen = r.Next(2) == 0 ? t : null, Lengths = lengths };
        var e = Explainer.Explain(config, seed);
        Assert.Equal(lengths.Length, e.Sequences.Count);
        Assert.Equal(lengths.Select(l => l - 1), e.Sequences.Select(s => s.ForwardStep));
        Assert.Equal(lengths.Sum(), e.Row("packed.data").Shape[0]);
        Assert.Equal(lengths.Count(l => l < config.EffectiveSeqLen), e.Identities.Count(i => i.Expression.EndsWith("== 0", StringComparison.Ordinal)));
        foreach (var id in e.Identities)
        {
            Assert.True(id.Status == IdentityStatus.Holds, $"{Explainer.ModuleCall(config)} lengths [{string.Join(", ", lengths)}]: {id.Expression} — {id.Status} ({id.Detail})");
        }
    }

    [Fact]
    public void Identities_Fail_WhenTheRunContradictsThem()
    {
        // A run whose h_n rows are swapped (forward <-> backward) must make the direction identities fail:
        // the check compares numbers, it does not just report success.
        var config = new ExplainConfig { Mode = RecurrentKind.Gru, InputSize = 3, HiddenSize = 4, Bidirectional = true, Batch = 2, SeqLen = 3 };
        var (run, _) = Explainer.Run(config, 5);
        var swapped = run with { HN = Tensor.Stack([run.HN[1], run.HN[0]]) };
        var results = Explainer.IdentitySpecs(config).Select(s => Explainer.Evaluate(s, swapped)).ToList();
        Assert.Contains(results, r => r.Expression == "output[-1, :, :H] == h_n[-2]" && r.Status == IdentityStatus.Fails);
        Assert.Contains(results, r => r.Expression == "output[0, :, H:] == h_n[-1]" && r.Status == IdentityStatus.Fails);
    }

    [Fact]
    public void Bidirectional_WarnsThatLastRowOfHnIsTheBackwardState()
    {
        var e = Explainer.Build(new ExplainConfig { Mode = RecurrentKind.Lstm, InputSize = 10, HiddenSize = 20, NumLayers = 2, Bidirectional = true, Batch = 3 });
        Assert.Contains(e.Warnings, w => w.Contains("h_n[-1] is the BACKWARD direction", StringComparison.Ordinal));
        Assert.Contains("BACKWARD", e.Row("h_n").Meaning, StringComparison.Ordinal);
        var uni = Explainer.Build(new ExplainConfig { Mode = RecurrentKind.Lstm, InputSize = 10, HiddenSize = 20, Batch = 3 });
        Assert.DoesNotContain(uni.Warnings, w => w.Contains("BACKWARD", StringComparison.Ordinal));
    }

    [Fact]
    public void Formulas_NameTheArgumentsThatDriveEachShape()
    {
        var e = Explainer.Build(new ExplainConfig { Mode = RecurrentKind.Lstm, InputSize = 10, HiddenSize = 20, NumLayers = 2, Bidirectional = true, ProjSize = 5, Batch = 3, SeqLen = 6 });
        Assert.Equal("(seq_len, batch, num_directions * proj_size)", e.Row("output").Formula);
        Assert.Equal("(6, 3, 10)", e.Row("output").ShapeText);
        Assert.Equal("(num_layers * num_directions, batch, proj_size)", e.Row("h_n").Formula);
        Assert.Equal("(num_layers * num_directions, batch, hidden_size)", e.Row("c_n").Formula);
        Assert.Equal("(4, 3, 20)", e.Row("c_n").ShapeText);
        Assert.Equal("(4 * hidden_size, num_directions * proj_size)", e.Row("weight_ih_l1_reverse").Formula);
        Assert.Equal("(proj_size, hidden_size)", e.Row("weight_hr_l0").Formula);
        var unbatched = Explainer.Build(new ExplainConfig { Mode = RecurrentKind.Gru, InputSize = 2, HiddenSize = 4, SeqLen = 6 });
        Assert.Equal("(seq_len, input_size)", unbatched.Row("input").Formula);
        Assert.Equal("(1, 4)", unbatched.Row("h_n").ShapeText);
    }

    [Fact]
    public void Json_ParsesAndCarriesEveryRowAndIdentity()
    {
        var e = Explainer.Explain(new ExplainConfig { Mode = RecurrentKind.Lstm, InputSize = 10, HiddenSize = 20, NumLayers = 2, Bidirectional = true, Batch = 3, SeqLen = 5 });
        var json = ExplainJson.Serialize(e);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal("nn.LSTM(10, 20, num_layers=2, bidirectional=True)", root.GetProperty("module").GetString());
        var rows = root.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(e.Rows.Count, rows.Count);
        var output = rows.Single(r => r.GetProperty("name").GetString() == "output");
        Assert.Equal([5, 3, 40], output.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()));
        Assert.Equal("(seq_len, batch, num_directions * hidden_size)", output.GetProperty("formula").GetString());
        Assert.Equal("Output", output.GetProperty("role").GetString());
        Assert.All(root.GetProperty("identities").EnumerateArray(), i => Assert.Equal("Holds", i.GetProperty("status").GetString()));
        Assert.Equal(e.ParameterCount, root.GetProperty("parameter_count").GetInt64());
        Assert.Equal(2, root.GetProperty("config").GetProperty("num_directions").GetInt32());
        var back = ExplainJson.Deserialize(json);
        Assert.Equal(e.Rows.Select(r => r.ShapeText), back.Rows.Select(r => r.ShapeText));
        Assert.Equal(e.Identities.Select(i => i.Expression), back.Identities.Select(i => i.Expression));
    }

    [Fact]
    public void Svg_IsWellFormedAndLabelsWhereOutputAndHnAreRead()
    {
        var config = new ExplainConfig { Mode = RecurrentKind.Lstm, InputSize = 10, HiddenSize = 20, NumLayers = 2, Bidirectional = true, Batch = 3, SeqLen = 5 };
        var svg = UnrolledSvg.Render(config);
        var doc = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var texts = doc.Descendants(ns + "text").Select(t => t.Value).ToList();
        Assert.Contains("h_n[-2], c_n[-2]", texts);
        Assert.Contains("h_n[-1], c_n[-1]", texts);
        Assert.Contains("output[4]", texts);
        Assert.Contains("(3, 40)", texts);
        Assert.Contains("input[0]", texts);
        // 2 layers x 2 directions x 5 steps cells, each with a "bwd t=" or "fwd t=" label.
        Assert.Equal(20, texts.Count(t => t.StartsWith("fwd t=", StringComparison.Ordinal) || t.StartsWith("bwd t=", StringComparison.Ordinal)));
        var longer = UnrolledSvg.Render(config with { SeqLen = 40, Bidirectional = false });
        Assert.Contains("⋯", longer, StringComparison.Ordinal);
        Assert.Contains("output[39]", longer, StringComparison.Ordinal);
    }

    /// <summary>
    /// With lengths the SVG marks, beside the column of step lengths[b] - 1, that sequence b ends there (the ⋯ column
    /// marks the sequences that end in the steps it stands for).
    /// </summary>
    [Fact]
    public void Svg_MarksTheStepWhereEachPackedSequenceEnds()
    {
        XNamespace ns = "http://www.w3.org/2000/svg";
        static double X(XElement e) => double.Parse(e.Attribute("x")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        var config = new ExplainConfig { Mode = RecurrentKind.Gru, InputSize = 4, HiddenSize = 6, Bidirectional = true, Lengths = [5, 3, 2] };
        var texts = XDocument.Parse(UnrolledSvg.Render(config)).Descendants(ns + "text").ToList();
        double Column(int t) => X(texts.Single(e => e.Value == $"output[{t}]"));
        var markers = texts.Where(e => e.Value.StartsWith("◆ ends: b = ", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, markers.Count);
        int[] lengths = [5, 3, 2];
        for (var b = 0; b < 3; b++)
        {
            var marker = markers.Single(e => e.Value == $"◆ ends: b = {b}");
            Assert.Equal(Column(lengths[b] - 1) + 18, X(marker));
        }
        Assert.Contains(texts, e => e.Value.Contains("backward direction starts there", StringComparison.Ordinal));

        var longer = XDocument.Parse(UnrolledSvg.Render(config with { Bidirectional = false, SeqLen = 40, Lengths = [40, 17, 2, 17] }))
            .Descendants(ns + "text").ToList();
        Assert.Contains(longer, e => e.Value == "◆ ends: b = 1, 3"); // step 16 lies in the ⋯ column
        Assert.Contains(longer, e => e.Value == "◆ ends: b = 2");
        Assert.Contains(longer, e => e.Value == "◆ ends: b = 0");
        Assert.DoesNotContain(XDocument.Parse(UnrolledSvg.Render(config with { Lengths = null, Batch = 3 })).Descendants(ns + "text"),
            e => e.Value.StartsWith("◆", StringComparison.Ordinal));
    }

    [Fact]
    public void InvalidConfiguration_SaysWhichArgumentAndTheFix()
    {
        var e = Assert.Throws<ArgumentException>(() => Explainer.Build(new ExplainConfig { Mode = RecurrentKind.Gru, InputSize = 3, HiddenSize = 4, ProjSize = 2 }));
        Assert.Contains("proj_size=2 is only supported by LSTM", e.Message, StringComparison.Ordinal);
        var l = Assert.Throws<ArgumentException>(() => Explainer.Build(new ExplainConfig { InputSize = 3, HiddenSize = 4, Batch = 2, Lengths = [3, 2, 1] }));
        Assert.Contains("--lengths gives 3 sequences but --batch is 2", l.Message, StringComparison.Ordinal);
    }
}
