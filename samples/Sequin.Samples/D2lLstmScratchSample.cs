using Sequin.Autograd;
using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Samples;

/// <summary>
/// The d2l book's LSTM from scratch: explicit <c>W_xi, W_hi, b_i</c> (input gate), <c>W_xf, W_hf, b_f</c> (forget),
/// <c>W_xo, W_ho, b_o</c> (output), <c>W_xc, W_hc, b_c</c> (candidate), <c>W_hq, b_q</c> (output layer), one-hot
/// input — then the same weights copied into <see cref="LSTM"/> (gate order i, f, g, o; weights transposed) give the
/// same numbers.
/// </summary>
public sealed class D2lLstmScratchSample : Sample
{
    /// <inheritdoc/>
    public override string Name => "d2l-lstm-scratch";

    /// <inheritdoc/>
    public override string Title => "d2l LSTM from scratch (W_xi, W_hi, b_i, ...) with one-hot input agrees with LSTM";

    /// <inheritdoc/>
    public override void Run(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        const int vocabSize = 28, numHiddens = 32, batchSize = 2, numSteps = 5;
        var g = new Generator(6);
        // d2l scales by 0.01; a larger scale makes the agreement check meaningful (gates far from 0.5).
        Tensor Normal(params int[] shape) => Tensor.Randn(shape, DType.Float32, g).Mul(0.5);
        (Tensor Wx, Tensor Wh, Tensor B) Three() => (Normal(vocabSize, numHiddens), Normal(numHiddens, numHiddens), Normal(numHiddens));
        var (wXi, wHi, bI) = Three(); // input gate
        var (wXf, wHf, bF) = Three(); // forget gate
        var (wXo, wHo, bO) = Three(); // output gate
        var (wXc, wHc, bC) = Three(); // candidate memory cell
        var wHq = Normal(numHiddens, vocabSize);
        var bQ = Tensor.Zeros(vocabSize);

        // X = torch.arange(10).reshape((2, 5)); inputs = F.one_hot(X.T, 28).float()
        var x = Tensor.Arange(10).View(batchSize, numSteps);
        var inputs = Functional.OneHot(x.T(), vocabSize).Float();
        ExpectShape(output, "F.one_hot(X.T, 28)", inputs, numSteps, batchSize, vocabSize);

        using var noGrad = new NoGrad();
        var h = Tensor.Zeros(batchSize, numHiddens); // init_lstm_state
        var c = Tensor.Zeros(batchSize, numHiddens);
        var outputs = new List<Tensor>();
        for (var t = 0; t < numSteps; t++)
        {
            var xt = inputs[t];
            var i = xt.MatMul(wXi).Add(h.MatMul(wHi)).Add(bI).Sigmoid();
            var f = xt.MatMul(wXf).Add(h.MatMul(wHf)).Add(bF).Sigmoid();
            var o = xt.MatMul(wXo).Add(h.MatMul(wHo)).Add(bO).Sigmoid();
            var cTilda = xt.MatMul(wXc).Add(h.MatMul(wHc)).Add(bC).Tanh();
            c = f.Mul(c).Add(i.Mul(cTilda));
            h = o.Mul(c.Tanh());
            outputs.Add(h.MatMul(wHq).Add(bQ));
        }
        var y = Tensor.Cat(outputs, 0);
        ExpectShape(output, "Y", y, numSteps * batchSize, vocabSize);
        output.WriteLine("len(new_state) = 2");
        ExpectShape(output, "new_state[0]", h, batchSize, numHiddens);
        ExpectShape(output, "new_state[1]", c, batchSize, numHiddens);

        // The same weights in nn.LSTM: rows stacked i, f, g(=c), o, each W transposed (PyTorch computes x @ W.T).
        var lstm = new LSTM(vocabSize, numHiddens);
        lstm.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight_ih_l0"] = Tensor.Cat([wXi.T(), wXf.T(), wXc.T(), wXo.T()], 0),
            ["weight_hh_l0"] = Tensor.Cat([wHi.T(), wHf.T(), wHc.T(), wHo.T()], 0),
            ["bias_ih_l0"] = Tensor.Cat([bI, bF, bC, bO], 0),
            ["bias_hh_l0"] = Tensor.Zeros(4 * numHiddens),
        });
        output.WriteLine("lstm = nn.LSTM(28, 32) with weight_ih_l0 = cat([W_xi.T, W_xf.T, W_xc.T, W_xo.T]), ... bias_hh_l0 = 0");
        ExpectShape(output, "lstm.weight_ih_l0", lstm.NamedParameters().First(p => p.Name == "weight_ih_l0").Parameter, 4 * numHiddens, vocabSize);
        var (lstmOut, hN, cN) = lstm.Forward(inputs);
        var y2 = lstmOut.Reshape(-1, numHiddens).MatMul(wHq).Add(bQ);
        ExpectEqual(output, "Y_scratch == linear(lstm(X)[0].reshape(-1, 32))", y, y2, 1e-5);
        ExpectEqual(output, "H_scratch == h_n[0]", h, hN[0], 1e-5);
        ExpectEqual(output, "C_scratch == c_n[0]", c, cN[0], 1e-5);
    }
}
