using Sequin.Autograd;
using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Tests.Nn;

public class RnnUtilsTests
{
    /// <summary>(T, B, 1) with value 10·t + b, so every packed row says where it came from.</summary>
    private static Tensor Labelled(int steps, int batch)
    {
        var v = new double[steps * batch];
        for (var t = 0; t < steps; t++)
        {
            for (var b = 0; b < batch; b++)
            {
                v[t * batch + b] = 10 * t + b;
            }
        }
        return Tensor.FromArray(v, steps, batch, 1);
    }

    [Fact]
    public void Pack_Sorted_TakesActiveRowsPerStep()
    {
        var packed = RnnUtils.PackPaddedSequence(Labelled(4, 3), [4, 3, 1]);
        Assert.Equal(new[] { 3, 2, 2, 1 }, packed.BatchSizesArray());
        Assert.Equal(new[] { 0.0, 1, 2, 10, 11, 20, 21, 30 }, packed.Data.ToArray<double>());
        Assert.Equal(new Shape(8, 1), packed.Data.Shape);
        Assert.Null(packed.SortedIndices);
        Assert.Null(packed.UnsortedIndices);
        Assert.Equal(3, packed.BatchSize);
        Assert.Equal(4, packed.MaxLength);
    }

    [Fact]
    public void Pack_Unsorted_SortsAndRecordsPermutation()
    {
        var packed = RnnUtils.PackPaddedSequence(Labelled(3, 3), Tensor.FromArray([1L, 3L, 2L], 3), enforceSorted: false);
        Assert.Equal(new[] { 1L, 2L, 0L }, packed.SortedIndices!.ToArray<long>());
        Assert.Equal(new[] { 2L, 0L, 1L }, packed.UnsortedIndices!.ToArray<long>());
        Assert.Equal(new[] { 3, 2, 1 }, packed.BatchSizesArray());
        Assert.Equal(new[] { 1.0, 2, 0, 11, 12, 21 }, packed.Data.ToArray<double>());
    }

    [Fact]
    public void Pack_NotEnforcedButAlreadySorted_StillRecordsIdentityPermutation()
    {
        var packed = RnnUtils.PackPaddedSequence(Labelled(2, 2), [2, 2], enforceSorted: false);
        Assert.Equal(new[] { 0L, 1L }, packed.SortedIndices!.ToArray<long>());
        Assert.Equal(new[] { 0L, 1L }, packed.UnsortedIndices!.ToArray<long>());
    }

    [Fact]
    public void Pad_WithOnlySortedIndices_InvertsThemLikePyTorch()
    {
        var packed = RnnUtils.PackPaddedSequence(Labelled(3, 3), [1, 3, 2], enforceSorted: false);
        var (a, _) = RnnUtils.PadPackedSequence(packed);
        var (b, lengths) = RnnUtils.PadPackedSequence(packed with { UnsortedIndices = null });
        Assert.Equal(a.ToArray<double>(), b.ToArray<double>());
        Assert.Equal(new[] { 1L, 3L, 2L }, lengths.ToArray<long>());
    }

    [Fact]
    public void Pack_BatchFirst_MatchesTimeMajor()
    {
        var x = Tensor.Randn([5, 3, 2], DType.Float64, new Generator(1));
        var a = RnnUtils.PackPaddedSequence(x, [2, 5, 3], enforceSorted: false);
        var b = RnnUtils.PackPaddedSequence(x.Transpose(0, 1), [2, 5, 3], batchFirst: true, enforceSorted: false);
        Assert.Equal(a.Data.ToArray<double>(), b.Data.ToArray<double>());
        Assert.Equal(a.BatchSizesArray(), b.BatchSizesArray());
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    public void PackThenPad_RestoresInput_WithPaddingZeroed(bool batchFirst, bool sorted)
    {
        int[] lengths = sorted ? [5, 3, 3, 1] : [3, 5, 1, 3];
        var x = Tensor.Randn(batchFirst ? [4, 6, 2] : [6, 4, 2], DType.Float64, new Generator(2));
        var packed = RnnUtils.PackPaddedSequence(x, lengths, batchFirst, enforceSorted: sorted);
        var (padded, outLengths) = RnnUtils.PadPackedSequence(packed, batchFirst, paddingValue: -7);
        Assert.Equal(lengths.Select(v => (long)v), outLengths.ToArray<long>());
        Assert.Equal(batchFirst ? new Shape(4, 5, 2) : new Shape(5, 4, 2), padded.Shape);
        for (var b = 0; b < 4; b++)
        {
            for (var t = 0; t < 5; t++)
            {
                for (var f = 0; f < 2; f++)
                {
                    var got = batchFirst ? padded.GetValue(b, t, f) : padded.GetValue(t, b, f);
                    var want = t < lengths[b] ? (batchFirst ? x.GetValue(b, t, f) : x.GetValue(t, b, f)) : -7;
                    Assert.Equal(want, got);
                }
            }
        }
        var (full, _) = RnnUtils.PadPackedSequence(packed, batchFirst, totalLength: 6);
        Assert.Equal(x.Shape, full.Shape);
    }

    [Fact]
    public void PackSequence_And_UnpackSequence_RoundTrip_InOriginalOrder()
    {
        var g = new Generator(3);
        Tensor[] seqs = [Tensor.Randn([2, 3], DType.Float64, g), Tensor.Randn([4, 3], DType.Float64, g), Tensor.Randn([1, 3], DType.Float64, g)];
        Assert.Contains("enforceSorted: false", Assert.Throws<ArgumentException>(() => RnnUtils.PackSequence(seqs)).Message, StringComparison.Ordinal);
        var packed = RnnUtils.PackSequence(seqs, enforceSorted: false);
        Assert.Equal(new[] { 3, 2, 1, 1 }, packed.BatchSizesArray());
        var back = RnnUtils.UnpackSequence(packed);
        Assert.Equal(3, back.Count);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(seqs[i].Shape, back[i].Shape);
            Assert.Equal(seqs[i].ToArray<double>(), back[i].ToArray<double>());
        }
    }

    [Fact]
    public void PadSequence_RightAndLeft_AndUnpad()
    {
        Tensor[] seqs = [Tensor.FromArray([1.0, 2, 3], 3), Tensor.FromArray([4.0], 1)];
        var right = RnnUtils.PadSequence(seqs, batchFirst: true, paddingValue: 9);
        Assert.Equal(new[] { 1.0, 2, 3, 4, 9, 9 }, right.ToArray<double>());
        var left = RnnUtils.PadSequence(seqs, batchFirst: true, paddingSide: "left");
        Assert.Equal(new[] { 1.0, 2, 3, 0, 0, 4 }, left.ToArray<double>());
        var timeMajor = RnnUtils.PadSequence(seqs);
        Assert.Equal(new Shape(3, 2), timeMajor.Shape);
        Assert.Equal(new[] { 1.0, 4, 2, 0, 3, 0 }, timeMajor.ToArray<double>());
        var unpadded = RnnUtils.UnpadSequence(timeMajor, Tensor.FromArray([3L, 1L], 2));
        Assert.Equal(new[] { 1.0, 2, 3 }, unpadded[0].ToArray<double>());
        Assert.Equal(new[] { 4.0 }, unpadded[1].ToArray<double>());
    }

    [Fact]
    public void Errors_ExplainTheFix()
    {
        var x = Tensor.Zeros(4, 3, 2);
        var unsorted = Assert.Throws<ArgumentException>(() => RnnUtils.PackPaddedSequence(x, [2, 4, 1]));
        Assert.Contains("must be sorted in decreasing order", unsorted.Message, StringComparison.Ordinal);
        Assert.Contains("enforceSorted: false", unsorted.Message, StringComparison.Ordinal);

        Assert.Contains("greater than 0", Assert.Throws<ArgumentException>(() => RnnUtils.PackPaddedSequence(x, [4, 0, 0])).Message, StringComparison.Ordinal);

        var tooLong = Assert.Throws<ArgumentException>(() => RnnUtils.PackPaddedSequence(x, [5, 2, 1]));
        Assert.Contains("T = 4", tooLong.Message, StringComparison.Ordinal);
        Assert.Contains("batchFirst: true", tooLong.Message, StringComparison.Ordinal);

        var notOneD = Assert.Throws<ArgumentException>(() => RnnUtils.PackPaddedSequence(x, Tensor.FromArray([4L, 2L, 1L], 1, 3)));
        Assert.Contains("1D", notOneD.Message, StringComparison.Ordinal);
        Assert.Contains("2D", notOneD.Message, StringComparison.Ordinal);

        var count = Assert.Throws<ArgumentException>(() => RnnUtils.PackPaddedSequence(x, [4, 2]));
        Assert.Contains("batch_size=3", count.Message, StringComparison.Ordinal);

        var packed = RnnUtils.PackPaddedSequence(x, [4, 2, 1]);
        var total = Assert.Throws<ArgumentException>(() => RnnUtils.PadPackedSequence(packed, totalLength: 3));
        Assert.Contains("total_length=3 and max sequence length being 4", total.Message, StringComparison.Ordinal);

        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => RnnUtils.PackPaddedSequence(Tensor.Zeros(0, 3, 2), [1, 1, 1])).Message, StringComparison.Ordinal);
        Assert.Contains("same trailing", Assert.Throws<ArgumentException>(() => RnnUtils.PadSequence([Tensor.Zeros(2, 3), Tensor.Zeros(2, 4)])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PackAndPad_GradientsMatchFiniteDifferences()
    {
        var g = new Generator(4);
        var x = Tensor.Randn([4, 3, 2], DType.Float64, g, requiresGrad: true);
        var lengths = Tensor.FromArray([2L, 4L, 3L], 3);
        var packOnly = GradCheck.Run(t => RnnUtils.PackPaddedSequence(t[0], lengths, enforceSorted: false).Data.Tanh(), [x]);
        Assert.True(packOnly.Passed, packOnly.Message);
        var roundTrip = GradCheck.Run(t => RnnUtils.PadPackedSequence(RnnUtils.PackPaddedSequence(t[0], [2, 3, 1, 3], batchFirst: true, enforceSorted: false), batchFirst: true, paddingValue: 1.5).Padded.Mul(t[0]), [x]);
        Assert.True(roundTrip.Passed, roundTrip.Message);
    }

    [Fact]
    public void PadSequence_And_PackSequence_GradientsMatchFiniteDifferences()
    {
        var g = new Generator(5);
        var a = Tensor.Randn([3, 2], DType.Float64, g, requiresGrad: true);
        var b = Tensor.Randn([1, 2], DType.Float64, g, requiresGrad: true);
        var c = Tensor.Randn([2, 2], DType.Float64, g, requiresGrad: true);
        var pad = GradCheck.Run(t => RnnUtils.PadSequence(t, batchFirst: true, paddingSide: "left").Sigmoid(), [a, b, c]);
        Assert.True(pad.Passed, pad.Message);
        var pack = GradCheck.Run(t => RnnUtils.PackSequence(t, enforceSorted: false).Data.Exp(), [a, b, c]);
        Assert.True(pack.Passed, pack.Message);
        var unpack = GradCheck.Run(t => Tensor.Cat(RnnUtils.UnpackSequence(RnnUtils.PackSequence(t, enforceSorted: false)).ToArray(), 0), [a, b, c]);
        Assert.True(unpack.Passed, unpack.Message);
    }

    [Fact]
    public void PadPackedSequence_MatchesGoldenPackedCase_Lengths()
    {
        // PyTorch's pad_packed_sequence output in a golden case is 0 past each length: check our pad agrees on which positions those are.
        var (t, meta) = Sequin.IO.SafeTensors.Load(Path.Combine(AppContext.BaseDirectory, "Golden", "gru_packed_l1_bi_bf_unsorted.safetensors"));
        var lengths = t["lengths"];
        var output = t["output"];
        var packed = RnnUtils.PackPaddedSequence(output, lengths, batchFirst: true, enforceSorted: false);
        var (padded, outLengths) = RnnUtils.PadPackedSequence(packed, batchFirst: true, totalLength: int.Parse(meta["seq_len"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(lengths.ToArray<long>(), outLengths.ToArray<long>());
        Assert.Equal(output.ToArray<double>(), padded.ToArray<double>());
    }
}
