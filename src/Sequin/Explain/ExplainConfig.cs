namespace Sequin.Explain;

/// <summary>Which recurrent layer an explanation describes (<c>--mode rnn|lstm|gru</c>).</summary>
public enum RecurrentKind
{
    /// <summary><c>nn.RNN</c>: one gate, <c>h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh)</c> (or relu).</summary>
    Rnn,

    /// <summary><c>nn.LSTM</c>: four gates i, f, g, o; a cell state c besides h.</summary>
    Lstm,

    /// <summary><c>nn.GRU</c>: three gates r, z, n.</summary>
    Gru,
}

/// <summary>
/// The configuration of a recurrent layer and of the input given to it, as in
/// <c>sequin explain --mode lstm --input-size 10 --hidden-size 20 --num-layers 2 --batch 3 --seq-len 5</c>.
/// Argument names map one-to-one to PyTorch's (<c>input_size</c>, <c>hidden_size</c>, <c>num_layers</c>, ...).
/// </summary>
public sealed record ExplainConfig
{
    /// <summary>RNN, LSTM or GRU.</summary>
    public RecurrentKind Mode { get; init; } = RecurrentKind.Lstm;

    /// <summary><c>input_size</c>: features per time step of the input.</summary>
    public int InputSize { get; init; } = 10;

    /// <summary><c>hidden_size</c>: features of the hidden state (and cell state) of each layer and direction.</summary>
    public int HiddenSize { get; init; } = 20;

    /// <summary><c>num_layers</c>: stacked layers; layer l &gt; 0 reads layer l−1's output.</summary>
    public int NumLayers { get; init; } = 1;

    /// <summary><c>bidirectional</c>: a second direction reads the sequence from the last step to the first.</summary>
    public bool Bidirectional { get; init; }

    /// <summary><c>batch_first</c>: input and output are <c>(batch, seq_len, features)</c>; h/c states are unaffected.</summary>
    public bool BatchFirst { get; init; }

    /// <summary><c>proj_size</c> (LSTM only, 0 = none): h is projected down to this size by <c>weight_hr</c>.</summary>
    public int ProjSize { get; init; }

    /// <summary><c>nonlinearity</c> (RNN only): <c>"tanh"</c> or <c>"relu"</c>.</summary>
    public string Nonlinearity { get; init; } = "tanh";

    /// <summary><c>bias</c>: whether <c>bias_ih</c>/<c>bias_hh</c> exist.</summary>
    public bool Bias { get; init; } = true;

    /// <summary>Time steps of the example input. With <see cref="Lengths"/>, defaults to their maximum.</summary>
    public int? SeqLen { get; init; }

    /// <summary>Batch size of the example input; null explains the unbatched form <c>(seq_len, input_size)</c>.</summary>
    public int? Batch { get; init; }

    /// <summary>Lengths of the sequences of a padded batch (<c>--lengths 5,3,2</c>), explained through packing.</summary>
    public IReadOnlyList<int>? Lengths { get; init; }

    /// <summary><c>num_directions</c>: 2 when bidirectional, else 1.</summary>
    public int NumDirections => Bidirectional ? 2 : 1;

    /// <summary>Size of h (what output and h_n carry): <c>proj_size</c> when it is &gt; 0, else <c>hidden_size</c>.</summary>
    public int HiddenOutSize => ProjSize > 0 ? ProjSize : HiddenSize;

    /// <summary>Gate count G: rows of <c>weight_ih</c> are <c>G * hidden_size</c> (RNN 1, GRU 3, LSTM 4).</summary>
    public int GateCount => Mode switch
    {
        RecurrentKind.Lstm => 4,
        RecurrentKind.Gru => 3,
        _ => 1,
    };

    /// <summary>Whether the example input has a batch dimension (<see cref="Batch"/> or <see cref="Lengths"/> given).</summary>
    public bool IsBatched => Batch is not null || Lengths is not null;

    /// <summary>The effective batch size: <see cref="Batch"/>, or the number of <see cref="Lengths"/>, or 1 when unbatched.</summary>
    public int EffectiveBatch => Batch ?? Lengths?.Count ?? 1;

    /// <summary>The effective number of time steps: <see cref="SeqLen"/>, else the longest length, else 5.</summary>
    public int EffectiveSeqLen => SeqLen ?? (Lengths is { Count: > 0 } l ? l.Max() : 5);

    /// <summary>PyTorch's mode name: <c>RNN_TANH</c>, <c>RNN_RELU</c>, <c>LSTM</c> or <c>GRU</c>.</summary>
    public string ModeName => Mode switch
    {
        RecurrentKind.Lstm => "LSTM",
        RecurrentKind.Gru => "GRU",
        _ => Nonlinearity == "relu" ? "RNN_RELU" : "RNN_TANH",
    };

    /// <summary>The module's class name: <c>RNN</c>, <c>LSTM</c> or <c>GRU</c>.</summary>
    public string ClassName => Mode switch
    {
        RecurrentKind.Lstm => "LSTM",
        RecurrentKind.Gru => "GRU",
        _ => "RNN",
    };

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the offending argument and the fix when the configuration is not
    /// one PyTorch accepts (sizes ≤ 0, proj_size on a non-LSTM or ≥ hidden_size, lengths inconsistent with batch/seq_len).
    /// </summary>
    public void Validate()
    {
        static void Positive(int value, string name)
        {
            if (value <= 0)
            {
                throw new ArgumentException($"explain: {name} must be a positive integer; got {value}.", name);
            }
        }
        Positive(InputSize, "input_size");
        Positive(HiddenSize, "hidden_size");
        Positive(NumLayers, "num_layers");
        if (SeqLen is { } t)
        {
            Positive(t, "seq_len");
        }
        if (Batch is { } b)
        {
            Positive(b, "batch");
        }
        if (ProjSize < 0)
        {
            throw new ArgumentException($"explain: proj_size must be >= 0; got {ProjSize}.", "proj_size");
        }
        if (ProjSize > 0 && Mode != RecurrentKind.Lstm)
        {
            throw new ArgumentException($"explain: proj_size={ProjSize} is only supported by LSTM, not {ClassName}. Use --mode lstm or drop --proj-size.", "proj_size");
        }
        if (ProjSize >= HiddenSize && ProjSize > 0)
        {
            throw new ArgumentException($"explain: proj_size has to be smaller than hidden_size; got proj_size={ProjSize}, hidden_size={HiddenSize}.", "proj_size");
        }
        if (Mode == RecurrentKind.Rnn && Nonlinearity is not ("tanh" or "relu"))
        {
            throw new ArgumentException($"explain: nonlinearity must be 'tanh' or 'relu'; got '{Nonlinearity}'.", "nonlinearity");
        }
        if (Lengths is { } lengths)
        {
            if (lengths.Count == 0)
            {
                throw new ArgumentException("explain: --lengths needs at least one length, e.g. --lengths 5,3,2.", "lengths");
            }
            foreach (var len in lengths)
            {
                Positive(len, "lengths");
            }
            if (Batch is { } batch && batch != lengths.Count)
            {
                throw new ArgumentException(
                    $"explain: --lengths gives {lengths.Count} sequences but --batch is {batch}; there is one length per sequence of the batch. Drop --batch or give {batch} lengths.",
                    "lengths");
            }
            if (SeqLen is { } seqLen && seqLen < lengths.Max())
            {
                throw new ArgumentException(
                    $"explain: --seq-len {seqLen} is shorter than the longest of --lengths ({lengths.Max()}); the padded input has seq_len >= max(lengths). Drop --seq-len.",
                    "seq_len");
            }
        }
    }
}
