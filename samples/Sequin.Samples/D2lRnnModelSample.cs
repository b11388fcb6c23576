using Sequin.Autograd;
using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Samples;

/// <summary>
/// The d2l book's concise <c>RNNModel</c>: a recurrent layer over one-hot input, then <c>Linear(num_directions *
/// num_hiddens, vocab_size)</c> on the flattened <c>(seq_len * batch, H)</c> outputs, with <c>begin_state</c> giving
/// zeros of shape <c>(num_directions * num_layers, batch, num_hiddens)</c> (a pair for LSTM).
/// </summary>
public sealed class D2lRnnModelSample : Sample
{
    /// <inheritdoc/>
    public override string Name => "d2l-rnn-model";

    /// <inheritdoc/>
    public override string Title => "d2l RNNModel (rnn layer + Linear) with its begin_state";

    /// <summary>d2l's <c>RNNModel</c>: recurrent layer + output layer.</summary>
    public sealed class RNNModel : Module
    {
        /// <summary>Wraps <paramref name="rnnLayer"/> and adds a linear layer to <paramref name="vocabSize"/> classes.</summary>
        public RNNModel(RNNBase rnnLayer, int vocabSize, Generator? generator = null)
        {
            ArgumentNullException.ThrowIfNull(rnnLayer);
            Rnn = RegisterModule("rnn", rnnLayer);
            VocabSize = vocabSize;
            NumHiddens = rnnLayer.HiddenSize;
            NumDirections = rnnLayer.Bidirectional ? 2 : 1;
            Linear = RegisterModule("linear", new Linear(NumHiddens * NumDirections, vocabSize, generator: generator));
        }

        /// <summary>The recurrent layer (<c>self.rnn</c>).</summary>
        public RNNBase Rnn { get; }

        /// <summary>The output layer (<c>self.linear</c>).</summary>
        public Linear Linear { get; }

        /// <summary>Number of classes.</summary>
        public int VocabSize { get; }

        /// <summary>hidden_size of the recurrent layer.</summary>
        public int NumHiddens { get; }

        /// <summary>2 when bidirectional.</summary>
        public int NumDirections { get; }

        /// <summary>
        /// <c>inputs</c> int64 <c>(batch, num_steps)</c> → logits <c>(num_steps * batch, vocab_size)</c> and the new state.
        /// </summary>
        public (Tensor Output, (Tensor H, Tensor? C) State) Forward(Tensor inputs, (Tensor H, Tensor? C) state)
        {
            ArgumentNullException.ThrowIfNull(inputs);
            var x = Functional.OneHot(inputs.T().Long(), VocabSize).Float(); // (num_steps, batch, vocab_size)
            Tensor y;
            (Tensor, Tensor?) newState;
            if (Rnn is LSTM lstm)
            {
                var (o, h, c) = lstm.Forward(x, state.H, state.C);
                (y, newState) = (o, (h, c));
            }
            else
            {
                var (o, h) = Rnn is GRU gru ? gru.Forward(x, state.H) : ((RNN)Rnn).Forward(x, state.H);
                (y, newState) = (o, (h, null));
            }
            var output = Linear.Forward(y.Reshape(-1, y.Size(-1)));
            return (output, newState);
        }

        /// <summary>Zeros of shape <c>(num_directions * num_layers, batch, num_hiddens)</c>; for LSTM a pair (h, c).</summary>
        public (Tensor H, Tensor? C) BeginState(int batchSize = 1)
        {
            var shape = new[] { NumDirections * Rnn.NumLayers, batchSize, NumHiddens };
            return Rnn is LSTM ? (Tensor.Zeros(shape), Tensor.Zeros(shape)) : (Tensor.Zeros(shape), null);
        }
    }

    /// <inheritdoc/>
    public override void Run(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        const int vocab = 28, numHiddens = 256, batchSize = 32, numSteps = 35;
        var g = new Generator(7);
        using var noGrad = new NoGrad();

        output.WriteLine("rnn_layer = nn.RNN(len(vocab), num_hiddens)");
        var rnnLayer = new RNN(vocab, numHiddens, generator: g);
        var state = Tensor.Zeros(1, batchSize, numHiddens);
        ExpectShape(output, "state", state, 1, batchSize, numHiddens);
        var x = Tensor.Rand([numSteps, batchSize, vocab], DType.Float32, g);
        var (y, stateNew) = rnnLayer.Forward(x, state);
        ExpectShape(output, "Y", y, numSteps, batchSize, numHiddens);
        ExpectShape(output, "state_new", stateNew, 1, batchSize, numHiddens);

        output.WriteLine();
        output.WriteLine("net = RNNModel(rnn_layer, vocab_size=len(vocab))");
        var net = new RNNModel(rnnLayer, vocab, g);
        var tokens = Tensor.RandInt(0, vocab, [batchSize, numSteps], DType.Int64, g); // (batch, num_steps)
        var begin = net.BeginState(batchSize);
        ExpectShape(output, "net.begin_state(batch_size=32)", begin.H, 1, batchSize, numHiddens);
        var (logits, newState) = net.Forward(tokens, begin);
        ExpectShape(output, "output", logits, numSteps * batchSize, vocab);
        ExpectShape(output, "new_state", newState.H, 1, batchSize, numHiddens);
        // Rows are time-major: the last batchSize rows are the last step, i.e. linear(h_n[-1]).
        ExpectEqual(output, "output.reshape(35, 32, 28)[-1] == net.linear(new_state[-1])",
            logits.View(numSteps, batchSize, vocab)[^1], net.Linear.Forward(newState.H[^1]), 1e-5);

        output.WriteLine();
        output.WriteLine("net = RNNModel(nn.LSTM(len(vocab), num_hiddens, num_layers=2, bidirectional=True), len(vocab))");
        var lstmNet = new RNNModel(new LSTM(vocab, numHiddens, numLayers: 2, bidirectional: true, generator: g), vocab, g);
        var lstmBegin = lstmNet.BeginState(batchSize);
        ExpectShape(output, "begin_state[0]", lstmBegin.H, 4, batchSize, numHiddens);
        ExpectShape(output, "begin_state[1]", lstmBegin.C!, 4, batchSize, numHiddens);
        var (lstmLogits, lstmState) = lstmNet.Forward(tokens, lstmBegin);
        ExpectShape(output, "linear.weight", lstmNet.Linear.Weight, vocab, 2 * numHiddens);
        ExpectShape(output, "output", lstmLogits, numSteps * batchSize, vocab);
        ExpectShape(output, "new_state[0]", lstmState.H, 4, batchSize, numHiddens);
        ExpectShape(output, "new_state[1]", lstmState.C!, 4, batchSize, numHiddens);
    }
}
