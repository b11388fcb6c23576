using System.Text.RegularExpressions;

namespace Sequin.Text;

/// <summary>
/// H. G. Wells' <i>The Time Machine</i> (embedded, as d2l's <c>timemachine.txt</c>) and d2l's text preprocessing:
/// each line has every run of non-letters replaced by one space, is trimmed and lower-cased; character tokens are
/// the characters of the non-empty lines, concatenated without separators (as d2l's <c>load_corpus_time_machine</c>).
/// </summary>
public static partial class TimeMachine
{
    private const string ResourceName = "Sequin.Text.timemachine.txt";

    /// <summary>The raw lines of the embedded book.</summary>
    public static IReadOnlyList<string> ReadLines()
    {
        using var stream = typeof(TimeMachine).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded corpus {ResourceName} is missing from the Sequin assembly.");
        using var reader = new StreamReader(stream);
        return SplitLines(reader.ReadToEnd());
    }

    /// <summary>Splits text into lines as Python's <c>readlines()</c> followed by the d2l preprocessing would see them.</summary>
    public static IReadOnlyList<string> SplitLines(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Split('\n');
    }

    /// <summary>d2l's preprocessing of one line: <c>re.sub('[^A-Za-z]+', ' ', line).strip().lower()</c>.</summary>
    public static string Preprocess(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        return NonLetters().Replace(line, " ").Trim().ToLowerInvariant();
    }

    /// <summary>Character tokens of preprocessed lines, in order (d2l's <c>tokenize(lines, 'char')</c>, flattened).</summary>
    public static List<string> CharTokens(IEnumerable<string> rawLines)
    {
        ArgumentNullException.ThrowIfNull(rawLines);
        var tokens = new List<string>();
        foreach (var line in rawLines)
        {
            foreach (var ch in Preprocess(line))
            {
                tokens.Add(ch.ToString());
            }
        }
        return tokens;
    }

    /// <summary>
    /// d2l's <c>load_corpus_time_machine(max_tokens)</c>: the vocabulary over the whole text and the corpus as
    /// indices, cut to the first <paramref name="maxTokens"/> tokens when positive. With <paramref name="rawLines"/>
    /// null the embedded book is used.
    /// </summary>
    public static (int[] Corpus, Vocab Vocab) LoadCorpus(int maxTokens = -1, IEnumerable<string>? rawLines = null)
    {
        var tokens = CharTokens(rawLines ?? ReadLines());
        var vocab = new Vocab(tokens);
        var corpus = vocab.Encode(tokens);
        if (maxTokens > 0 && corpus.Length > maxTokens)
        {
            corpus = corpus[..maxTokens];
        }
        return (corpus, vocab);
    }

    [GeneratedRegex("[^A-Za-z]+")]
    private static partial Regex NonLetters();
}
