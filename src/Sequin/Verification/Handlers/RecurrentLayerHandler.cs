using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Verification.Handlers;

/// <summary>
/// Golden kind <c>layer</c>: <see cref="RNN"/>, <see cref="LSTM"/> or <see cref="GRU"/> built from the metadata, weights loaded by
/// their PyTorch names, forward (through <see cref="RnnUtils.PackPaddedSequence(Tensor, Tensor, bool, bool)"/> and
/// <see cref="RnnUtils.PadPackedSequence"/> with <c>total_length = seq_len</c> when <c>packed</c>), then backward of
/// <c>sum(output·grad_output) + sum(h_n·grad_h_n) [+ sum(c_n·grad_c_n)]</c>. Checks <c>output</c>, <c>h_n</c>, <c>c_n</c>,
/// <c>grad.input</c>, <c>grad.h0</c>, <c>grad.c0</c> and <c>grad.&lt;parameter&gt;</c> for every parameter.
/// </summary>
public sealed class RecurrentLayerHandler : IGoldenHandler
{
    /// <inheritdoc/>
    public string Kind => "layer";

    /// <inheritdoc/>
    public void Run(GoldenContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var c = context.Case;
        var mode = c.Meta("mode");
        int inputSize = c.MetaInt("input_size"), hidden = c.MetaInt("hidden_size"), layers = c.MetaInt("num_layers");
        var bias = c.MetaBool("bias", true);
        var batchFirst = c.MetaBool("batch_first");
        var bidirectional = c.MetaBool("bidirectional");
        var projSize = c.Metadata.ContainsKey("proj_size") ? c.MetaInt("proj_size") : 0;
        var dropout = c.Metadata.ContainsKey("dropout") ? c.MetaDouble("dropout") : 0;
        var hasH0 = c.MetaBool("has_h0");
        var packed = c.MetaBool("packed");
        var isLstm = mode == "LSTM";

        RNNBase module = mode switch
        {
            "LSTM" => new LSTM(inputSize, hidden, layers, bias, batchFirst, dropout, bidirectional, projSize, context.DType),
            "GRU" => new GRU(inputSize, hidden, layers, bias, batchFirst, dropout, bidirectional, context.DType),
            "RNN_TANH" => new RNN(inputSize, hidden, layers, "tanh", bias, batchFirst, dropout, bidirectional, context.DType),
            "RNN_RELU" => new RNN(inputSize, hidden, layers, "relu", bias, batchFirst, dropout, bidirectional, context.DType),
            _ => throw new InvalidDataException($"Golden case '{c.Name}': unknown mode '{mode}' (expected RNN_TANH, RNN_RELU, LSTM or GRU)."),
        };
        module.UseReferenceImplementation = context.Options.ReferenceImplementation;
        module.Eval(); // dropout is 0 in every case; eval makes that irrelevant anyway
        context.LoadParameters(module);

        var input = context.Leaf("input");
        var h0 = hasH0 ? context.Leaf("h0") : null;
        var c0 = hasH0 && isLstm ? context.Leaf("c0") : null;

        Tensor output, hN;
        Tensor? cN = null;
        if (packed)
        {
            var lengths = c.Has("lengths")
                ? c.Get("lengths")
                : Tensor.FromArray(c.Meta("lengths").Split(',').Select(s => long.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray());
            var sequence = RnnUtils.PackPaddedSequence(input, lengths, batchFirst, c.MetaBool("enforce_sorted", true));
            PackedSequence packedOutput;
            switch (module)
            {
                case LSTM lstm: (packedOutput, hN, cN) = lstm.Forward(sequence, h0, c0); break;
                case GRU gru: (packedOutput, hN) = gru.Forward(sequence, h0); break;
                default: (packedOutput, hN) = ((RNN)module).Forward(sequence, h0); break;
            }
            (output, _) = RnnUtils.PadPackedSequence(packedOutput, batchFirst, totalLength: c.MetaInt("seq_len"));
        }
        else
        {
            switch (module)
            {
                case LSTM lstm: (output, hN, cN) = lstm.Forward(input, h0, c0); break;
                case GRU gru: (output, hN) = gru.Forward(input, h0); break;
                default: (output, hN) = ((RNN)module).Forward(input, h0); break;
            }
        }

        var loss = output.Mul(context.Value("grad_output")).Sum().Add(hN.Mul(context.Value("grad_h_n")).Sum());
        if (cN is not null)
        {
            loss = loss.Add(cN.Mul(context.Value("grad_c_n")).Sum());
        }
        loss.Backward();

        context.Check("output", output);
        context.Check("h_n", hN);
        if (cN is not null)
        {
            context.Check("c_n", cN);
        }
        context.Check("grad.input", input.Grad);
        if (h0 is not null)
        {
            context.Check("grad.h0", h0.Grad);
        }
        if (c0 is not null)
        {
            context.Check("grad.c0", c0.Grad);
        }
        context.CheckParameterGradients(module);
    }
}
