using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Verification.Handlers;

/// <summary>
/// Golden kind <c>cell</c>: <see cref="RNNCell"/>, <see cref="LSTMCell"/> or <see cref="GRUCell"/> built from the metadata, one
/// step forward from <c>input</c> (and <c>hx</c>/<c>cx</c> when <c>has_h0</c>), then backward of
/// <c>sum(h_1·grad_h_1) [+ sum(c_1·grad_c_1)]</c>. Checks <c>h_1</c>, <c>c_1</c>, <c>grad.input</c>, <c>grad.hx</c>,
/// <c>grad.cx</c> and every parameter gradient.
/// </summary>
public sealed class RecurrentCellHandler : IGoldenHandler
{
    /// <inheritdoc/>
    public string Kind => "cell";

    /// <inheritdoc/>
    public void Run(GoldenContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var c = context.Case;
        var mode = c.Meta("mode");
        int inputSize = c.MetaInt("input_size"), hidden = c.MetaInt("hidden_size");
        var bias = c.MetaBool("bias", true);
        var hasH = c.MetaBool("has_h0");
        var isLstm = mode == "LSTM";
        Module module = mode switch
        {
            "LSTM" => new LSTMCell(inputSize, hidden, bias, context.DType),
            "GRU" => new GRUCell(inputSize, hidden, bias, context.DType),
            "RNN_TANH" => new RNNCell(inputSize, hidden, bias, "tanh", context.DType),
            "RNN_RELU" => new RNNCell(inputSize, hidden, bias, "relu", context.DType),
            _ => throw new InvalidDataException($"Golden case '{c.Name}': unknown mode '{mode}' (expected RNN_TANH, RNN_RELU, LSTM or GRU)."),
        };
        context.LoadParameters(module);

        var input = context.Leaf("input");
        var hx = hasH ? context.Leaf("hx") : null;
        var cx = hasH && isLstm ? context.Leaf("cx") : null;
        Tensor h1;
        Tensor? c1 = null;
        switch (module)
        {
            case LSTMCell lstm: (h1, c1) = lstm.Forward(input, hx, cx); break;
            case GRUCell gru: h1 = gru.Forward(input, hx); break;
            default: h1 = ((RNNCell)module).Forward(input, hx); break;
        }
        var loss = h1.Mul(context.Value("grad_h_1")).Sum();
        if (c1 is not null)
        {
            loss = loss.Add(c1.Mul(context.Value("grad_c_1")).Sum());
        }
        loss.Backward();

        context.Check("h_1", h1);
        if (c1 is not null)
        {
            context.Check("c_1", c1);
        }
        context.Check("grad.input", input.Grad);
        if (hx is not null)
        {
            context.Check("grad.hx", hx.Grad);
        }
        if (cx is not null)
        {
            context.Check("grad.cx", cx.Grad);
        }
        context.CheckParameterGradients(module);
    }
}
