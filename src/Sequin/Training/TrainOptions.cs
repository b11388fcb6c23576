namespace Sequin.Training;

/// <summary>Settings of a character language-model training run (the options of <c>sequin train</c>).</summary>
public sealed class TrainOptions
{
    /// <summary>Recurrent layer: lstm, gru or rnn.</summary>
    public string Mode { get; set; } = "lstm";

    /// <summary>Stacked recurrent layers.</summary>
    public int Layers { get; set; } = 1;

    /// <summary>Hidden size.</summary>
    public int Hidden { get; set; } = 256;

    /// <summary>Embedding size; 0 feeds one-hot vectors (d2l).</summary>
    public int Embedding { get; set; }

    /// <summary>Dropout between layers and before the head.</summary>
    public double Dropout { get; set; }

    /// <summary>Total number of epochs (a resumed run continues up to this count).</summary>
    public int Epochs { get; set; } = 500;

    /// <summary>Sequences per minibatch.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Time steps per minibatch (truncated BPTT length).</summary>
    public int SeqLen { get; set; } = 35;

    /// <summary>Learning rate.</summary>
    public double Lr { get; set; } = 1;

    /// <summary>Optimizer: sgd, adam or adamw.</summary>
    public string Optimizer { get; set; } = "sgd";

    /// <summary>Gradient-norm clipping threshold; 0 disables clipping.</summary>
    public double Clip { get; set; } = 1;

    /// <summary>Clip as d2l's <c>grad_clipping</c> does (scale by θ/‖g‖ only when ‖g‖ &gt; θ) instead of <c>clip_grad_norm_</c>.</summary>
    public bool D2lClipping { get; set; }

    /// <summary>Seed of the run's generator (initialisation, offsets, dropout).</summary>
    public long Seed { get; set; }

    /// <summary>UTF-8 text file to train on; null for the embedded Time Machine.</summary>
    public string? TextFile { get; set; }

    /// <summary>Keep only the first N tokens of the corpus (d2l uses 10,000); ≤ 0 keeps all.</summary>
    public int MaxTokens { get; set; } = -1;

    /// <summary>Use random sampling of subsequences instead of sequential partitioning.</summary>
    public bool RandomIter { get; set; }

    /// <summary>Folder for checkpoints; null saves none.</summary>
    public string? Output { get; set; }

    /// <summary>Checkpoint to continue from; null starts fresh.</summary>
    public string? Resume { get; set; }

    /// <summary>Minimum seconds between checkpoints (one is always written after the last epoch).</summary>
    public double CheckpointSeconds { get; set; } = 5;

    /// <summary>Name of a preset these options came from (e.g. d2l), recorded in the checkpoint.</summary>
    public string? Preset { get; set; }

    /// <summary>
    /// The d2l preset (<c>sequin train --preset d2l</c>): the concise LSTM of d2l's chapter 8 exactly — one LSTM layer of
    /// 256 on one-hot characters, batch 32 × 35 steps, SGD with learning rate 1, d2l's gradient clipping at 1, the first
    /// 10,000 characters, 500 epochs.
    /// </summary>
    public static TrainOptions D2lPreset() => new()
    {
        Mode = "lstm",
        Layers = 1,
        Hidden = 256,
        Embedding = 0,
        Epochs = 500,
        BatchSize = 32,
        SeqLen = 35,
        Lr = 1,
        Optimizer = "sgd",
        Clip = 1,
        D2lClipping = true,
        MaxTokens = 10000,
        Preset = "d2l",
    };
}
