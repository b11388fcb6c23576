using System.Numerics;
using Sequin.Kernels;

namespace Sequin.Tests.Kernels;

/// <summary>
/// The fused gate kernels on every instruction-set path (AVX-512, AVX2, scalar via <see cref="Simd.Limit"/>), float and
/// double, against references written here in double from PyTorch's documented RNN/LSTM/GRU equations; the backward
/// kernels also against float64 central differences of the forward kernels. Shapes are odd on purpose (hidden 1, 7,
/// 16, 17, 27, 33, 69) so whole vectors, the AVX2 pick-up after AVX-512 (27 = 16 + 8 + 3 floats) and the scalar tail
/// all run; outputs are spans over longer arrays whose extra elements must stay untouched (the vector bodies store
/// unchecked).
/// </summary>
public class RecurrentKernelsTests
{
    private static readonly int[] Batches = [1, 3, 5];
    private static readonly int[] Hiddens = [1, 7, 16, 17, 27, 33, 69];
    private const int Pad = 37;
    private const double Sentinel = -777.25;

    /// <summary>(SIMD level, float64?) pairs; a level the CPU lacks runs the best one it has.</summary>
    public static TheoryData<int, bool> LevelsAndTypes()
    {
        var data = new TheoryData<int, bool>();
        foreach (var level in new[] { SimdLevel.Avx512, SimdLevel.Avx2, SimdLevel.Scalar })
        {
            data.Add((int)level, false);
            data.Add((int)level, true);
        }
        return data;
    }

    /// <summary>SIMD levels alone (for the float64 finite-difference checks).</summary>
    public static TheoryData<int> Levels() => new((int)SimdLevel.Avx512, (int)SimdLevel.Avx2, (int)SimdLevel.Scalar);

    // ---- the reference: PyTorch's equations in double ----

    private static double Sig(double x) => 1.0 / (1.0 + Math.Exp(-x));

    private static IEnumerable<(int Batch, int Hidden, bool Bias)> Shapes()
    {
        foreach (var b in Batches)
        {
            foreach (var h in Hiddens)
            {
                yield return (b, h, true);
                yield return (b, h, false);
            }
        }
    }

    /// <summary>Uniform in [−scale, scale], every 7th value ×6 so the activations also saturate.</summary>
    private static double[] Rand(Random rng, int n, double scale)
    {
        var a = new double[n];
        for (var i = 0; i < n; i++)
        {
            a[i] = ((rng.NextDouble() * 2) - 1) * scale * (i % 7 == 3 ? 6 : 1);
        }
        return a;
    }

    /// <summary>The values as <typeparamref name="T"/>, and back as double (the reference sees exactly what the kernel sees).</summary>
    private static (T[] Value, double[] Exact) As<T>(double[] a)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var t = a.Select(T.CreateTruncating).ToArray();
        return (t, t.Select(double.CreateTruncating).ToArray());
    }

    /// <summary>An output array of <paramref name="n"/> elements plus <see cref="Pad"/> sentinels after them.</summary>
    private static T[] Out<T>(int n)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Enumerable.Repeat(T.CreateTruncating(Sentinel), n + Pad).ToArray();

    private static double Tol<T>(double want) => typeof(T) == typeof(float) ? 1e-6 + (1e-5 * Math.Abs(want)) : 1e-13 + (1e-12 * Math.Abs(want));

    private static void Check<T>(string what, double[] want, T[] got, string context)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var i = 0; i < want.Length; i++)
        {
            var g = double.CreateTruncating(got[i]);
            Assert.True(Math.Abs(g - want[i]) <= Tol<T>(want[i]),
                $"{what}[{i}] = {g:R}, want {want[i]:R} ({context}, {typeof(T).Name}, {Simd.Current})");
        }
        for (var i = want.Length; i < got.Length; i++)
        {
            Assert.True(double.CreateTruncating(got[i]) == Sentinel, $"{what}[{i}] past the {want.Length} outputs was written ({context}, {Simd.Current})");
        }
    }

    private static void Run(int level, bool f64, Action<int> floatCase, Action<int> doubleCase)
    {
        using var _ = Simd.Limit((SimdLevel)level);
        if (f64)
        {
            doubleCase(level);
        }
        else
        {
            floatCase(level);
        }
    }

    // ---- forward kernels ----

    [Theory]
    [MemberData(nameof(LevelsAndTypes))]
    public void RnnForward_TanhAndRelu_MatchTheReference(int level, bool f64) => Run(level, f64, _ => RnnForwardCase<float>(), _ => RnnForwardCase<double>());

    private static void RnnForwardCase<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (var (batch, hidden, bias) in Shapes())
        {
            foreach (var relu in new[] { false, true })
            {
                var rng = new Random((batch * 1000) + hidden);
                var n = batch * hidden;
                var (xg, xgD) = As<T>(Rand(rng, n, 1.5));
                var (hg, hgD) = As<T>(Rand(rng, n, 1.5));
                var (bhh, bhhD) = As<T>(bias ? Rand(rng, hidden, 0.5) : []);
                var h = Out<T>(n);
                RecurrentKernels.RnnForward<T>(relu, xg, hg, bhh, h.AsSpan(0, n), batch, hidden);
                var want = new double[n];
                for (var b = 0; b < batch; b++)
                {
                    for (var j = 0; j < hidden; j++)
                    {
                        var pre = xgD[(b * hidden) + j] + hgD[(b * hidden) + j] + (bias ? bhhD[j] : 0);
                        want[(b * hidden) + j] = relu ? Math.Max(pre, 0) : Math.Tanh(pre);
                    }
                }
                Check("h", want, h, $"relu={relu} batch={batch} hidden={hidden} bias={bias}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(LevelsAndTypes))]
    public void LstmForward_MatchesTheReference(int level, bool f64) => Run(level, f64, _ => LstmForwardCase<float>(), _ => LstmForwardCase<double>());

    private static void LstmForwardCase<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (var (batch, hidden, bias) in Shapes())
        {
            var rng = new Random((batch * 1000) + hidden);
            int gh = 4 * hidden, n = batch * hidden;
            var (xg, xgD) = As<T>(Rand(rng, batch * gh, 1.5));
            var (hg, hgD) = As<T>(Rand(rng, batch * gh, 1.5));
            var (bhh, bhhD) = As<T>(bias ? Rand(rng, gh, 0.5) : []);
            var (cPrev, cPrevD) = As<T>(Rand(rng, n, 2));
            var gates = Out<T>(batch * gh);
            var c = Out<T>(n);
            var h = Out<T>(n);
            RecurrentKernels.LstmForward<T>(xg, hg, bhh, cPrev, gates.AsSpan(0, batch * gh), c.AsSpan(0, n), h.AsSpan(0, n), batch, hidden);

            var wantGates = new double[batch * gh];
            var wantC = new double[n];
            var wantH = new double[n];
            for (var b = 0; b < batch; b++)
            {
                for (var j = 0; j < hidden; j++)
                {
                    double Pre(int k) => xgD[(b * gh) + (k * hidden) + j] + hgD[(b * gh) + (k * hidden) + j] + (bias ? bhhD[(k * hidden) + j] : 0);
                    // PyTorch: i = σ(·), f = σ(·), g = tanh(·), o = σ(·); c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c').
                    double i = Sig(Pre(0)), f = Sig(Pre(1)), g = Math.Tanh(Pre(2)), o = Sig(Pre(3));
                    wantGates[(b * gh) + j] = i;
                    wantGates[(b * gh) + hidden + j] = f;
                    wantGates[(b * gh) + (2 * hidden) + j] = g;
                    wantGates[(b * gh) + (3 * hidden) + j] = o;
                    var cy = (f * cPrevD[(b * hidden) + j]) + (i * g);
                    wantC[(b * hidden) + j] = cy;
                    wantH[(b * hidden) + j] = o * Math.Tanh(cy);
                }
            }
            var context = $"batch={batch} hidden={hidden} bias={bias}";
            Check("gates", wantGates, gates, context);
            Check("c", wantC, c, context);
            Check("h", wantH, h, context);
        }
    }

    [Theory]
    [MemberData(nameof(LevelsAndTypes))]
    public void GruForward_MatchesTheReference(int level, bool f64) => Run(level, f64, _ => GruForwardCase<float>(), _ => GruForwardCase<double>());

    private static void GruForwardCase<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (var (batch, hidden, bias) in Shapes())
        {
            var rng = new Random((batch * 1000) + hidden);
            int gh = 3 * hidden, n = batch * hidden;
            var (xg, xgD) = As<T>(Rand(rng, batch * gh, 1.5));
            var (hg, hgD) = As<T>(Rand(rng, batch * gh, 1.5));
            var (bhh, bhhD) = As<T>(bias ? Rand(rng, gh, 0.5) : []);
            var (hPrev, hPrevD) = As<T>(Rand(rng, n, 1));
            var gates = Out<T>(batch * gh);
            var hn = Out<T>(n);
            var h = Out<T>(n);
            RecurrentKernels.GruForward<T>(xg, hg, bhh, hPrev, gates.AsSpan(0, batch * gh), hn.AsSpan(0, n), h.AsSpan(0, n), batch, hidden);

            var wantGates = new double[batch * gh];
            var wantHn = new double[n];
            var wantH = new double[n];
            for (var b = 0; b < batch; b++)
            {
                for (var j = 0; j < hidden; j++)
                {
                    double X(int k) => xgD[(b * gh) + (k * hidden) + j];
                    double Hh(int k) => hgD[(b * gh) + (k * hidden) + j] + (bias ? bhhD[(k * hidden) + j] : 0);
                    // PyTorch: r = σ(W_ir x + b_ir + W_hr h + b_hr), z likewise, n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),
                    // h' = (1 − z) ⊙ n + z ⊙ h.
                    var r = Sig(X(0) + Hh(0));
                    var z = Sig(X(1) + Hh(1));
                    var nv = Math.Tanh(X(2) + (r * Hh(2)));
                    wantGates[(b * gh) + j] = r;
                    wantGates[(b * gh) + hidden + j] = z;
                    wantGates[(b * gh) + (2 * hidden) + j] = nv;
                    wantHn[(b * hidden) + j] = Hh(2);
                    wantH[(b * hidden) + j] = ((1 - z) * nv) + (z * hPrevD[(b * hidden) + j]);
                }
            }
            var context = $"batch={batch} hidden={hidden} bias={bias}";
            Check("gates", wantGates, gates, context);
            Check("hn", wantHn, hn, context);
            Check("h", wantH, h, context);
        }
    }

    // ---- backward kernels against the analytic derivatives ----

    [Theory]
    [MemberData(nameof(LevelsAndTypes))]
    public void RnnBackward_TanhAndRelu_MatchTheDerivative(int level, bool f64) => Run(level, f64, _ => RnnBackwardCase<float>(), _ => RnnBackwardCase<double>());

    private static void RnnBackwardCase<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (var (batch, hidden, _) in Shapes())
        {
            foreach (var relu in new[] { false, true })
            {
                var rng = new Random((batch * 1000) + hidden);
                var n = batch * hidden;
                var pre = Rand(rng, n, 2);
                // The saved output: tanh(pre) or relu(pre), exact zeros included for relu.
                var (h, hD) = As<T>(pre.Select(p => relu ? Math.Max(p, 0) : Math.Tanh(p)).ToArray());
                var (dh, dhD) = As<T>(Rand(rng, n, 1));
                var dpre = Out<T>(n);
                RecurrentKernels.RnnBackward<T>(relu, dh, h, dpre.AsSpan(0, n), batch, hidden);
                // d tanh(x)/dx = 1 − tanh²(x); d relu(x)/dx = [x > 0].
                var want = dhD.Select((d, i) => relu ? (hD[i] > 0 ? d : 0) : d * (1 - (hD[i] * hD[i]))).ToArray();
                Check("dpre", want, dpre, $"relu={relu} batch={batch} hidden={hidden}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(LevelsAndTypes))]
    public void LstmBackward_MatchesTheDerivative(int level, bool f64) => Run(level, f64, _ => LstmBackwardCase<float>(), _ => LstmBackwardCase<double>());

    private static void LstmBackwardCase<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (var (batch, hidden, _) in Shapes())
        {
            var rng = new Random((batch * 1000) + hidden);
            int gh = 4 * hidden, n = batch * hidden;
            // Saved activations as the forward pass leaves them: σ gates in (0, 1), g in (−1, 1), c = f·c_prev + i·g.
            var pre = Rand(rng, batch * gh, 2);
            var act = pre.Select((p, k) => (k % gh) / hidden == 2 ? Math.Tanh(p) : Sig(p)).ToArray();
            var (gates, gD) = As<T>(act);
            var (cPrev, cPrevD) = As<T>(Rand(rng, n, 2));
            var cRaw = new double[n];
            for (var b = 0; b < batch; b++)
            {
                for (var j = 0; j < hidden; j++)
                {
                    cRaw[(b * hidden) + j] = (gD[(b * gh) + hidden + j] * cPrevD[(b * hidden) + j]) + (gD[(b * gh) + j] * gD[(b * gh) + (2 * hidden) + j]);
                }
            }
            var (c, cD) = As<T>(cRaw);
            var (dh, dhD) = As<T>(Rand(rng, n, 1));
            var (dcIn, dcD) = As<T>(Rand(rng, n, 1));
            var dc = Out<T>(n);
            dcIn.CopyTo(dc, 0);
            var dgates = Out<T>(batch * gh);
            RecurrentKernels.LstmBackward<T>(dh, dc.AsSpan(0, n), gates, c, cPrev, dgates.AsSpan(0, batch * gh), batch, hidden);

            var wantDg = new double[batch * gh];
            var wantDc = new double[n];
            for (var b = 0; b < batch; b++)
            {
                for (var j = 0; j < hidden; j++)
                {
                    int g0 = b * gh, k = (b * hidden) + j;
                    double i = gD[g0 + j], f = gD[g0 + hidden + j], g = gD[g0 + (2 * hidden) + j], o = gD[g0 + (3 * hidden) + j];
                    var tc = Math.Tanh(cD[k]);
                    // h = o·tanh(c): ∂L/∂c = dc + dh·o·(1 − tanh²c); c = f·c_prev + i·g; σ′ = σ(1 − σ), tanh′ = 1 − tanh².
                    var dcTotal = dcD[k] + (dhD[k] * o * (1 - (tc * tc)));
                    wantDg[g0 + j] = dcTotal * g * i * (1 - i);
                    wantDg[g0 + hidden + j] = dcTotal * cPrevD[k] * f * (1 - f);
                    wantDg[g0 + (2 * hidden) + j] = dcTotal * i * (1 - (g * g));
                    wantDg[g0 + (3 * hidden) + j] = dhD[k] * tc * o * (1 - o);
                    wantDc[k] = dcTotal * f;
                }
            }
            var context = $"batch={batch} hidden={hidden}";
            Check("dgates", wantDg, dgates, context);
            Check("dc_prev", wantDc, dc, context);
        }
    }

    [Theory]
    [MemberData(nameof(LevelsAndTypes))]
    public void GruBackward_MatchesTheDerivative(int level, bool f64) => Run(level, f64, _ => GruBackwardCase<float>(), _ => GruBackwardCase<double>());

    private static void GruBackwardCase<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (var (batch, hidden, _) in Shapes())
        {
            var rng = new Random((batch * 1000) + hidden);
            int gh = 3 * hidden, n = batch * hidden;
            var pre = Rand(rng, batch * gh, 2);
            var (gates, gD) = As<T>(pre.Select((p, k) => (k % gh) / hidden == 2 ? Math.Tanh(p) : Sig(p)).ToArray());
            var (hPrev, hPrevD) = As<T>(Rand(rng, n, 1));
            var (hn, hnD) = As<T>(Rand(rng, n, 1.5));
            var (dh, dhD) = As<T>(Rand(rng, n, 1));
            var dgi = Out<T>(batch * gh);
            var dgh = Out<T>(batch * gh);
            var dhPrev = Out<T>(n);
            RecurrentKernels.GruBackward<T>(dh, hPrev, gates, hn, dgi.AsSpan(0, batch * gh), dgh.AsSpan(0, batch * gh), dhPrev.AsSpan(0, n), batch, hidden);

            var wantDgi = new double[batch * gh];
            var wantDgh = new double[batch * gh];
            var wantDhPrev = new double[n];
            for (var b = 0; b < batch; b++)
            {
                for (var j = 0; j < hidden; j++)
                {
                    int g0 = b * gh, k = (b * hidden) + j;
                    double r = gD[g0 + j], z = gD[g0 + hidden + j], nv = gD[g0 + (2 * hidden) + j];
                    // h' = (1 − z)·n + z·h; n = tanh(a_n + r·hn) with a_n the input part; r, z = σ(·).
                    var dn = dhD[k] * (1 - z) * (1 - (nv * nv));
                    var dz = dhD[k] * (hPrevD[k] - nv) * z * (1 - z);
                    var dr = dn * hnD[k] * r * (1 - r);
                    wantDgi[g0 + j] = dr;
                    wantDgi[g0 + hidden + j] = dz;
                    wantDgi[g0 + (2 * hidden) + j] = dn;
                    wantDgh[g0 + j] = dr;
                    wantDgh[g0 + hidden + j] = dz;
                    wantDgh[g0 + (2 * hidden) + j] = dn * r; // ∂n/∂hn = tanh′·r
                    wantDhPrev[k] = dhD[k] * z;
                }
            }
            var context = $"batch={batch} hidden={hidden}";
            Check("dgi", wantDgi, dgi, context);
            Check("dgh", wantDgh, dgh, context);
            Check("dh_prev", wantDhPrev, dhPrev, context);
        }
    }

    // ---- backward kernels against float64 finite differences of the forward kernels ----

    private const double Eps = 1e-6;

    private static void AssertFd(string what, double analytic, double numeric, string context)
        => Assert.True(Math.Abs(analytic - numeric) <= 1e-7 + (1e-6 * Math.Abs(numeric)),
            $"{what}: backward kernel {analytic:R}, central difference {numeric:R} ({context}, {Simd.Current})");

    private static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();

    [Theory]
    [MemberData(nameof(Levels))]
    public void RnnBackward_MatchesFiniteDifferences_Float64(int level)
    {
        using var _ = Simd.Limit((SimdLevel)level);
        foreach (var relu in new[] { false, true })
        {
            const int batch = 3, hidden = 17, n = batch * hidden;
            var rng = new Random(7);
            var xg = Rand(rng, n, 1.5);
            var hg = Rand(rng, n, 1.5);
            var bhh = Rand(rng, hidden, 0.5);
            var w = Rand(rng, n, 1); // L = Σ w ⊙ h
            double Loss(double[] x)
            {
                var h = new double[n];
                RecurrentKernels.RnnForward<double>(relu, x, hg, bhh, h, batch, hidden);
                return Dot(w, h);
            }
            var hSaved = new double[n];
            RecurrentKernels.RnnForward<double>(relu, xg, hg, bhh, hSaved, batch, hidden);
            var dpre = new double[n];
            RecurrentKernels.RnnBackward<double>(relu, w, hSaved, dpre, batch, hidden);
            for (var k = 0; k < n; k++)
            {
                AssertFd($"dpre[{k}]", dpre[k], Central(Loss, xg, k), $"relu={relu}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void LstmBackward_MatchesFiniteDifferences_Float64(int level)
    {
        using var _ = Simd.Limit((SimdLevel)level);
        const int batch = 3, hidden = 17, gh = 4 * hidden, n = batch * hidden;
        var rng = new Random(8);
        var xg = Rand(rng, batch * gh, 1.5);
        var hg = Rand(rng, batch * gh, 1.5);
        var bhh = Rand(rng, gh, 0.5);
        var cPrev = Rand(rng, n, 2);
        var wh = Rand(rng, n, 1); // L = Σ wh ⊙ h + Σ wc ⊙ c
        var wc = Rand(rng, n, 1);
        double Loss(double[] x, double[] cp)
        {
            var gates = new double[batch * gh];
            var c = new double[n];
            var h = new double[n];
            RecurrentKernels.LstmForward<double>(x, hg, bhh, cp, gates, c, h, batch, hidden);
            return Dot(wh, h) + Dot(wc, c);
        }
        var gSaved = new double[batch * gh];
        var cSaved = new double[n];
        RecurrentKernels.LstmForward<double>(xg, hg, bhh, cPrev, gSaved, cSaved, new double[n], batch, hidden);
        var dc = (double[])wc.Clone();
        var dgates = new double[batch * gh];
        RecurrentKernels.LstmBackward<double>(wh, dc, gSaved, cSaved, cPrev, dgates, batch, hidden);
        for (var k = 0; k < batch * gh; k++)
        {
            AssertFd($"dgates[{k}]", dgates[k], Central(x => Loss(x, cPrev), xg, k), "LSTM");
        }
        for (var k = 0; k < n; k++)
        {
            AssertFd($"dc_prev[{k}]", dc[k], Central(cp => Loss(xg, cp), cPrev, k), "LSTM");
        }
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void GruBackward_MatchesFiniteDifferences_Float64(int level)
    {
        using var _ = Simd.Limit((SimdLevel)level);
        const int batch = 3, hidden = 17, gh = 3 * hidden, n = batch * hidden;
        var rng = new Random(9);
        var xg = Rand(rng, batch * gh, 1.5);
        var hg = Rand(rng, batch * gh, 1.5);
        var bhh = Rand(rng, gh, 0.5);
        var hPrev = Rand(rng, n, 1);
        var w = Rand(rng, n, 1); // L = Σ w ⊙ h
        double Loss(double[] x, double[] hh, double[] hp)
        {
            var h = new double[n];
            RecurrentKernels.GruForward<double>(x, hh, bhh, hp, new double[batch * gh], new double[n], h, batch, hidden);
            return Dot(w, h);
        }
        var gSaved = new double[batch * gh];
        var hnSaved = new double[n];
        RecurrentKernels.GruForward<double>(xg, hg, bhh, hPrev, gSaved, hnSaved, new double[n], batch, hidden);
        var dgi = new double[batch * gh];
        var dgh = new double[batch * gh];
        var dhPrev = new double[n];
        RecurrentKernels.GruBackward<double>(w, hPrev, gSaved, hnSaved, dgi, dgh, dhPrev, batch, hidden);
        for (var k = 0; k < batch * gh; k++)
        {
            AssertFd($"dgi[{k}]", dgi[k], Central(x => Loss(x, hg, hPrev), xg, k), "GRU");
            AssertFd($"dgh[{k}]", dgh[k], Central(hh => Loss(xg, hh, hPrev), hg, k), "GRU");
        }
        // hg is an input of its own here, so ∂L/∂h_prev is only the direct path z ⊙ dh.
        for (var k = 0; k < n; k++)
        {
            AssertFd($"dh_prev[{k}]", dhPrev[k], Central(hp => Loss(xg, hg, hp), hPrev, k), "GRU");
        }
    }

    private static double Central(Func<double[], double> loss, double[] at, int k)
    {
        var x = (double[])at.Clone();
        x[k] = at[k] + Eps;
        var up = loss(x);
        x[k] = at[k] - Eps;
        var down = loss(x);
        return (up - down) / (2 * Eps);
    }

    // ---- aliasing as the layers use it, and the bias-gradient helper ----

    [Theory]
    [MemberData(nameof(Levels))]
    public void ForwardKernels_InPlace_GiveTheSameAsSeparateBuffers(int level)
    {
        using var _ = Simd.Limit((SimdLevel)level);
        const int batch = 3, hidden = 33;
        var rng = new Random(10);
        // LSTM with gates = xg and c = cPrev (the streaming step does this).
        var (xg, hg, bhh, cPrev) = FloatStepInputs(rng, batch, hidden, 4, 2);
        float[] gates = new float[xg.Length], c = new float[cPrev.Length], h = new float[cPrev.Length], h2 = new float[cPrev.Length];
        RecurrentKernels.LstmForward<float>(xg, hg, bhh, cPrev, gates, c, h, batch, hidden);
        RecurrentKernels.LstmForward<float>(xg, hg, bhh, cPrev, xg, cPrev, h2, batch, hidden);
        Assert.Equal(gates, xg);
        Assert.Equal(c, cPrev);
        Assert.Equal(h, h2);

        // GRU with gates = xg and h = hPrev.
        var (gx, ghh, gb, hPrev) = FloatStepInputs(rng, batch, hidden, 3, 1);
        float[] ggates = new float[gx.Length], hn = new float[hPrev.Length], hn2 = new float[hPrev.Length], hOut = new float[hPrev.Length];
        RecurrentKernels.GruForward<float>(gx, ghh, gb, hPrev, ggates, hn, hOut, batch, hidden);
        RecurrentKernels.GruForward<float>(gx, ghh, gb, hPrev, gx, hn2, hPrev, batch, hidden);
        Assert.Equal(ggates, gx);
        Assert.Equal(hn, hn2);
        Assert.Equal(hOut, hPrev);
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void InferenceForms_WithoutKeptGates_GiveTheSameStates(int level)
    {
        // LSTM inference passes xg + (hg + bhh) already summed, no hg, no bhh and no gates: c and h must be bit-identical
        // to the full call (the sum is formed in the same order), and xg must be left alone.
        using var _ = Simd.Limit((SimdLevel)level);
        const int batch = 3, hidden = 37; // 37: whole vectors and a scalar tail on every width
        var rng = new Random(12);
        var (xg, hg, bhh, cPrev) = FloatStepInputs(rng, batch, hidden, 4, 2);
        float[] gates = new float[xg.Length], c = new float[cPrev.Length], h = new float[cPrev.Length];
        RecurrentKernels.LstmForward<float>(xg, hg, bhh, cPrev, gates, c, h, batch, hidden);

        var pre = new float[xg.Length];
        for (var k = 0; k < pre.Length; k++)
        {
            pre[k] = xg[k] + (hg[k] + bhh[k % (4 * hidden)]);
        }
        var preCopy = (float[])pre.Clone();
        float[] c2 = new float[c.Length], h2 = new float[h.Length];
        RecurrentKernels.LstmForward<float>(pre, default, default, cPrev, default, c2, h2, batch, hidden);
        Assert.Equal(c, c2);
        Assert.Equal(h, h2);
        Assert.Equal(preCopy, pre);

        // Products summed in xg, biases passed apart: pre-activations xg + bhh (the sum formed here in that order).
        var products = new float[xg.Length];
        for (var k = 0; k < pre.Length; k++)
        {
            products[k] = xg[k] + hg[k];
            pre[k] = products[k] + bhh[k % (4 * hidden)];
        }
        float[] c3 = new float[c.Length], h3 = new float[h.Length], c4 = new float[c.Length], h4 = new float[h.Length];
        RecurrentKernels.LstmForward<float>(pre, default, default, cPrev, default, c3, h3, batch, hidden);
        RecurrentKernels.LstmForward<float>(products, default, bhh, cPrev, default, c4, h4, batch, hidden);
        Assert.Equal(c3, c4);
        Assert.Equal(h3, h4);

        // GRU without gates and hn: the same h.
        var (gx, ghh, gb, hPrev) = FloatStepInputs(rng, batch, hidden, 3, 1);
        float[] ggates = new float[gx.Length], hn = new float[hPrev.Length], hOut = new float[hPrev.Length], hOut2 = new float[hPrev.Length];
        RecurrentKernels.GruForward<float>(gx, ghh, gb, hPrev, ggates, hn, hOut, batch, hidden);
        RecurrentKernels.GruForward<float>(gx, ghh, gb, hPrev, default, default, hOut2, batch, hidden);
        Assert.Equal(hOut, hOut2);
        Assert.Throws<ArgumentException>(() =>
            RecurrentKernels.GruForward<float>(gx, ghh, gb, hPrev, default, hn, hOut2, batch, hidden));
    }

    /// <summary>
    /// Random float inputs of one gate-pass step with <paramref name="gates"/> gates: xg and hg (batch × gates·hidden),
    /// the bias row and the previous state (batch × hidden, scale <paramref name="stateScale"/>).
    /// </summary>
    private static (float[] Xg, float[] Hg, float[] Bias, float[] State) FloatStepInputs(Random rng, int batch, int hidden, int gates, double stateScale)
    {
        float[] F(int n, double scale) => Rand(rng, n, scale).Select(v => (float)v).ToArray();
        return (F(batch * gates * hidden, 1.5), F(batch * gates * hidden, 1.5), F(gates * hidden, 0.5), F(batch * hidden, stateScale));
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void ShortSpans_StillFailOnTheScalarIndexing(int level)
    {
        using var _ = Simd.Limit((SimdLevel)level);
        // hg one element short: the vector bodies must not run unchecked past it.
        Assert.Throws<IndexOutOfRangeException>(() =>
            RecurrentKernels.LstmForward<float>(new float[2 * 64], new float[(2 * 64) - 1], [], new float[32], new float[2 * 64], new float[32], new float[32], 2, 16));
    }

    [Fact]
    public void AddColumnSums_AddsEveryColumn()
    {
        var rng = new Random(11);
        const int rows = 5, cols = 37;
        var m = Rand(rng, rows * cols, 1).Select(v => (float)v).ToArray();
        var sums = Enumerable.Range(0, cols + 3).Select(j => (float)j).ToArray();
        RecurrentKernels.AddColumnSums<float>(m, rows, cols, sums.AsSpan(0, cols));
        for (var j = 0; j < cols + 3; j++)
        {
            double want = j;
            if (j < cols)
            {
                for (var r = 0; r < rows; r++)
                {
                    want += m[(r * cols) + j];
                }
            }
            Assert.True(Math.Abs(sums[j] - want) <= 1e-5, $"sums[{j}] = {sums[j]}, want {want}");
        }
    }
}
