using Sequin.Nn;

namespace Sequin.Verification.Handlers;

/// <summary>
/// Golden kind <c>lm</c>: <see cref="RnnLanguageModel"/> (Embedding, or one-hot when <c>onehot</c> is true → batch-first
/// RNN/LSTM/GRU → Linear) with the case's weights, forward on <c>tokens</c>, mean cross-entropy against <c>targets</c>,
/// backward. Checks <c>logits</c>, <c>loss</c> and <c>grad.&lt;param&gt;</c> for every parameter.
/// </summary>
public sealed class LanguageModelHandler : IGoldenHandler
{
    /// <inheritdoc/>
    public string Kind => "lm";

    /// <inheritdoc/>
    public void Run(GoldenContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var c = context.Case;
        var onehot = c.MetaBool("onehot");
        var mode = c.Meta("mode") switch
        {
            "LSTM" => "lstm",
            "GRU" => "gru",
            "RNN_RELU" => "rnn_relu",
            "RNN_TANH" => "rnn",
            var m => throw new InvalidDataException($"Golden case '{c.Name}': unknown mode '{m}' (expected RNN_TANH, RNN_RELU, LSTM or GRU)."),
        };
        var model = new RnnLanguageModel(mode, c.MetaInt("vocab"), c.MetaInt("hidden_size"), c.MetaInt("num_layers"),
            onehot ? 0 : c.MetaInt("embedding_dim"), dtype: context.DType);
        context.LoadParameters(model);
        var (logits, _) = model.Forward(c.Get("tokens"));
        var loss = RnnLanguageModel.Loss(logits, c.Get("targets"));
        loss.Backward();
        context.Check("logits", logits);
        context.Check("loss", loss.Reshape(1));
        context.CheckParameterGradients(model);
    }
}
