using System.Text.Json.Serialization;

namespace Sequin.Explain;

/// <summary>What a row of the explanation describes.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TensorRole>))]
public enum TensorRole
{
    /// <summary>The input sequence given to <c>Forward</c>.</summary>
    Input,

    /// <summary>An initial state given to <c>Forward</c> (<c>h_0</c>, <c>c_0</c>).</summary>
    InitialState,

    /// <summary>The per-time-step output of the last layer.</summary>
    Output,

    /// <summary>A final state returned by <c>Forward</c> (<c>h_n</c>, <c>c_n</c>).</summary>
    FinalState,

    /// <summary>A part of a <c>PackedSequence</c> (<c>data</c>, <c>batch_sizes</c>).</summary>
    Packed,

    /// <summary>A learnable parameter (<c>weight_ih_l0</c>, ...).</summary>
    Parameter,
}

/// <summary>Whether an identity was confirmed by running a module.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<IdentityStatus>))]
public enum IdentityStatus
{
    /// <summary>Not run yet.</summary>
    NotChecked,

    /// <summary>Running a randomly initialised module on random input confirmed it.</summary>
    Holds,

    /// <summary>Running the module contradicted it (a bug in the layer or in the explanation).</summary>
    Fails,
}

/// <summary>
/// One tensor of the explanation: its name as PyTorch names it, its shape, the formula that gives the shape, and what
/// it means in plain words.
/// </summary>
/// <param name="Name">PyTorch's name: <c>input</c>, <c>h_0</c>, <c>output</c>, <c>weight_ih_l0_reverse</c>, ...</param>
/// <param name="Role">What kind of tensor it is.</param>
/// <param name="Shape">The concrete shape for this configuration, e.g. <c>[6, 3, 20]</c>.</param>
/// <param name="ShapeText">The shape as PyTorch prints it: <c>(6, 3, 20)</c>.</param>
/// <param name="Formula">The shape in terms of the arguments: <c>(seq_len, batch, num_directions * hidden_size)</c>.</param>
/// <param name="Meaning">Plain words: what the numbers in it are.</param>
public sealed record TensorRow(string Name, TensorRole Role, int[] Shape, string ShapeText, string Formula, string Meaning);

/// <summary>
/// A relation between the tensors that holds for this configuration, written in PyTorch notation and in Sequin's C#.
/// </summary>
/// <param name="Expression">PyTorch notation, e.g. <c>output[-1, :, :H] == h_n[-2]</c>.</param>
/// <param name="CSharp">The same in Sequin's C#, e.g. <c>output[^1, .., ..H].Equal(hN[^2])</c>.</param>
/// <param name="Meaning">Why it holds, in plain words.</param>
/// <param name="Status">Whether running a module confirmed it.</param>
/// <param name="Detail">What the check measured (e.g. the largest absolute difference), or null before checking.</param>
public sealed record Identity(string Expression, string CSharp, string Meaning, IdentityStatus Status = IdentityStatus.NotChecked, string? Detail = null);

/// <summary>Where the final state of one sequence of a padded batch is read from (with <c>--lengths</c>).</summary>
/// <param name="BatchIndex">Index of the sequence in the batch.</param>
/// <param name="Length">Its length.</param>
/// <param name="ForwardStep">Time step whose forward hidden state is its <c>h_n</c> row: <c>length − 1</c>.</param>
/// <param name="BackwardStep">Time step whose backward hidden state is its <c>h_n</c> row (always 0), or null when unidirectional.</param>
/// <param name="PaddedSteps">Time steps of <c>output</c> that are padding (zeros) for this sequence.</param>
public sealed record SequenceFinalStep(int BatchIndex, int Length, int ForwardStep, int? BackwardStep, int PaddedSteps);

/// <summary>
/// Everything <c>sequin explain</c> prints for one configuration: one row per tensor (input, states, output, every
/// parameter), the identities that hold (each checked by running a module), warnings about common mistakes, and the
/// parameter count. Built by <see cref="Explainer.Build"/>; the CLI and the tests share it.
/// </summary>
/// <param name="Config">The configuration explained.</param>
/// <param name="Module">The constructor call, e.g. <c>LSTM(10, 20, num_layers=2, bidirectional=True)</c>.</param>
/// <param name="Rows">Input, h_0, [c_0], output, h_n, [c_n], packed parts, then every parameter in registration order.</param>
/// <param name="Identities">Relations between output, h_n and c_n that hold for this configuration.</param>
/// <param name="Sequences">With lengths: per sequence, which time step its final state comes from; else empty.</param>
/// <param name="Warnings">Mistakes this configuration invites, e.g. that <c>h_n[-1]</c> is the backward state.</param>
/// <param name="ParameterCount">Total number of learnable scalars.</param>
public sealed record Explanation(
    ExplainConfig Config,
    string Module,
    IReadOnlyList<TensorRow> Rows,
    IReadOnlyList<Identity> Identities,
    IReadOnlyList<SequenceFinalStep> Sequences,
    IReadOnlyList<string> Warnings,
    long ParameterCount)
{
    /// <summary>The row named <paramref name="name"/> (e.g. <c>"h_n"</c>, <c>"weight_hh_l1_reverse"</c>).</summary>
    /// <exception cref="KeyNotFoundException">No such row; the message lists the names there are.</exception>
    public TensorRow Row(string name) =>
        Rows.FirstOrDefault(r => r.Name == name)
        ?? throw new KeyNotFoundException($"explain: no row named '{name}'. Rows: {string.Join(", ", Rows.Select(r => r.Name))}.");

    /// <summary>Whether every identity was checked and holds.</summary>
    public bool AllIdentitiesHold => Identities.All(i => i.Status == IdentityStatus.Holds);
}
