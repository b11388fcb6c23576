namespace Sequin.Text;

/// <summary>
/// A token ↔ index table built as d2l's <c>Vocab</c> does: <c>&lt;unk&gt;</c> (index 0), then the reserved tokens, then
/// the tokens with frequency ≥ <c>min_freq</c> by descending frequency, ties in order of first appearance (Python's
/// stable sort over a <c>Counter</c>). For the Time Machine's characters this gives 28 entries: <c>&lt;unk&gt;</c>, space, e, t, a, ...
/// </summary>
public sealed class Vocab
{
    /// <summary>The unknown-token marker, always index 0.</summary>
    public const string Unk = "<unk>";

    private readonly List<string> idxToToken = [];
    private readonly Dictionary<string, int> tokenToIdx = new(StringComparer.Ordinal);

    /// <summary>Builds the vocabulary from a token sequence.</summary>
    /// <param name="tokens">The tokens in corpus order.</param>
    /// <param name="minFreq">Tokens seen fewer times map to <c>&lt;unk&gt;</c> (<c>min_freq</c>).</param>
    /// <param name="reservedTokens">Tokens placed right after <c>&lt;unk&gt;</c> (<c>reserved_tokens</c>).</param>
    public Vocab(IEnumerable<string> tokens, int minFreq = 0, IEnumerable<string>? reservedTokens = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var t in tokens)
        {
            if (counts.TryGetValue(t, out var c))
            {
                counts[t] = c + 1;
            }
            else
            {
                counts[t] = 1;
                order.Add(t);
            }
        }
        // OrderBy is stable: equal counts keep first-seen order, as Python's sorted(..., reverse=True) does.
        TokenFreqs = [.. order.Select(t => (t, counts[t])).OrderByDescending(p => p.Item2)];
        AddToken(Unk);
        foreach (var r in reservedTokens ?? [])
        {
            AddToken(r);
        }
        foreach (var (t, f) in TokenFreqs)
        {
            if (f < minFreq)
            {
                break;
            }
            AddToken(t);
        }
    }

    private Vocab(IEnumerable<string> idxToTokens, bool restore)
    {
        _ = restore;
        TokenFreqs = [];
        foreach (var t in idxToTokens)
        {
            AddToken(t);
        }
    }

    /// <summary>Recreates a vocabulary from its token list (index order), e.g. from a checkpoint.</summary>
    public static Vocab FromTokens(IEnumerable<string> idxToToken)
    {
        var v = new Vocab(idxToToken, restore: true);
        if (v.Count == 0 || v.idxToToken[0] != Unk)
        {
            throw new ArgumentException($"Vocab.FromTokens: the first token must be {Unk}.");
        }
        return v;
    }

    private void AddToken(string t)
    {
        if (tokenToIdx.TryAdd(t, idxToToken.Count))
        {
            idxToToken.Add(t);
        }
    }

    /// <summary>Token frequencies, most frequent first (<c>token_freqs</c>); empty for a restored vocabulary.</summary>
    public IReadOnlyList<(string Token, int Frequency)> TokenFreqs { get; }

    /// <summary>Tokens in index order (<c>idx_to_token</c>).</summary>
    public IReadOnlyList<string> IdxToToken => idxToToken;

    /// <summary>Number of tokens, including <c>&lt;unk&gt;</c>.</summary>
    public int Count => idxToToken.Count;

    /// <summary>The index of <paramref name="token"/>, or 0 (<c>&lt;unk&gt;</c>) when unknown.</summary>
    public int this[string token] => tokenToIdx.TryGetValue(token, out var i) ? i : 0;

    /// <summary>Indices of several tokens.</summary>
    public int[] Encode(IEnumerable<string> tokens) => [.. tokens.Select(t => this[t])];

    /// <summary>The tokens of several indices (<c>to_tokens</c>).</summary>
    public string[] ToTokens(IEnumerable<int> indices) => [.. indices.Select(i => idxToToken[i])];
}
