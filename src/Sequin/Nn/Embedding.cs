using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>
/// A lookup table of <c>num_embeddings</c> vectors of size <c>embedding_dim</c> (<c>torch.nn.Embedding</c>).
/// Input: int64 indices of any shape <c>(*)</c> → output <c>(*, embedding_dim)</c>.
/// </summary>
public sealed class Embedding : Module, ITensorModule
{
    /// <summary>Creates the table, initialised from N(0, 1) as in PyTorch; the <paramref name="paddingIdx"/> row is zero.</summary>
    /// <param name="numEmbeddings">Number of rows (<c>num_embeddings</c>), e.g. the vocabulary size.</param>
    /// <param name="embeddingDim">Size of each vector (<c>embedding_dim</c>).</param>
    /// <param name="paddingIdx">Row that stays zero and receives no gradient (<c>padding_idx</c>); negative counts from the end.</param>
    /// <param name="dtype">Parameter element type.</param>
    /// <param name="generator">Random source for the initialisation.</param>
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIdx = null, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (numEmbeddings <= 0 || embeddingDim <= 0)
        {
            throw new ArgumentException($"Embedding: num_embeddings and embedding_dim must be positive; got {numEmbeddings} and {embeddingDim}.");
        }
        if (paddingIdx is { } p)
        {
            if (p >= numEmbeddings || p < -numEmbeddings)
            {
                throw new ArgumentException($"Embedding: padding_idx must be within num_embeddings (−{numEmbeddings} ≤ padding_idx < {numEmbeddings}); got {p}.");
            }
            paddingIdx = p < 0 ? p + numEmbeddings : p;
        }
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        PaddingIdx = paddingIdx;
        var w = Tensor.Randn([numEmbeddings, embeddingDim], dtype, generator);
        if (paddingIdx is { } pi)
        {
            w.Select(0, pi).Zero_();
        }
        Weight = RegisterParameter("weight", w);
    }

    /// <summary>Number of rows (<c>num_embeddings</c>).</summary>
    public int NumEmbeddings { get; }

    /// <summary>Size of each vector (<c>embedding_dim</c>).</summary>
    public int EmbeddingDim { get; }

    /// <summary>The padding row (<c>padding_idx</c>), non-negative, or null.</summary>
    public int? PaddingIdx { get; }

    /// <summary>The table, shape <c>(num_embeddings, embedding_dim)</c>.</summary>
    public Tensor Weight { get; }

    /// <summary>Looks up rows: int64 <c>(*)</c> → <c>(*, embedding_dim)</c>.</summary>
    public Tensor Forward(Tensor input) => Functional.Embedding(input, Weight, PaddingIdx);
}
