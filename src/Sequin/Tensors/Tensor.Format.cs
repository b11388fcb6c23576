using System.Globalization;
using System.Text;

namespace Sequin.Tensors;

public sealed partial class Tensor
{
    /// <summary>Digits after the decimal point (<c>torch.set_printoptions(precision=4)</c>).</summary>
    private const int PrintPrecision = 4;

    /// <summary>Tensors with more elements than this are summarised with <c>...</c> (PyTorch's <c>threshold=1000</c>).</summary>
    private const int PrintThreshold = 1000;

    /// <summary>Elements shown at each end of a summarised dimension (PyTorch's <c>edgeitems=3</c>).</summary>
    private const int PrintEdgeItems = 3;

    /// <summary>Characters per line before wrapping (PyTorch's <c>linewidth=80</c>).</summary>
    private const int PrintLineWidth = 80;

    /// <summary>
    /// PyTorch's printed form: <c>tensor([[0.1000, 0.2000]], dtype=torch.float64, grad_fn=&lt;AddBackward0&gt;)</c>.
    /// Same rules as <c>print(tensor)</c> with default print options: 4 decimals, scientific notation when the
    /// magnitudes span more than 1000× (or exceed 1e8, or fall below 1e-4), integral floats as <c>1.</c>, rows
    /// wrapped at 80 characters, and tensors of more than 1000 elements summarised with <c>...</c>, keeping the
    /// first and last 3 entries of each dimension. Use <see cref="Shape"/> for the shape tuple, e.g. <c>(6, 3, 20)</c>.
    /// </summary>
    public override string ToString()
    {
        const string prefix = "tensor(";
        var indent = prefix.Length;
        var suffixes = new List<string>();
        string body;
        var values = ToDoubleArray();
        if (values.Length == 0)
        {
            if (Dim != 1)
            {
                suffixes.Add("size=" + Shape);
            }
            if (DType != DType.Float32)
            {
                suffixes.Add("dtype=" + DType.TorchName());
            }
            body = "[]";
        }
        else
        {
            var summarize = values.Length > PrintThreshold;
            var formatter = new ValueFormatter(DType, summarize ? SummarizedValues(values) : values);
            body = Dim == 0 ? formatter.Format(values[0]) : FormatLevel(values, 0, 0, indent, summarize, formatter);
            if (DType == DType.Float64)
            {
                suffixes.Add("dtype=" + DType.TorchName());
            }
        }
        if (GradFn is not null)
        {
            suffixes.Add("grad_fn=<" + GradFn.Name + ">");
        }
        else if (RequiresGrad)
        {
            suffixes.Add("requires_grad=True");
        }
        var text = prefix + body;
        var sb = new StringBuilder(text);
        var lastLine = text.Length - text.LastIndexOf('\n') + 1;
        foreach (var suffix in suffixes)
        {
            if (lastLine + suffix.Length + 2 > PrintLineWidth)
            {
                sb.Append(",\n").Append(' ', indent).Append(suffix);
                lastLine = indent + suffix.Length;
            }
            else
            {
                sb.Append(", ").Append(suffix);
                lastLine += suffix.Length + 2;
            }
        }
        return sb.Append(')').ToString();
    }

    /// <summary>Row-major strides of this tensor's shape, used to address the dense copy of its values.</summary>
    private int[] DenseStrides() => ShapeUtil.ContiguousStrides(shape);

    /// <summary>Indices shown along a dimension of <paramref name="size"/>: all, or the first and last edge items.</summary>
    private static IEnumerable<int> ShownIndices(int size, bool summarize)
        => summarize && size > 2 * PrintEdgeItems
            ? Enumerable.Range(0, PrintEdgeItems).Concat(Enumerable.Range(size - PrintEdgeItems, PrintEdgeItems))
            : Enumerable.Range(0, size);

    /// <summary>The values that a summarised print shows (PyTorch's <c>get_summarized_data</c>); the formatter sizes columns from them.</summary>
    private double[] SummarizedValues(double[] values)
    {
        var result = new List<double>();
        var dense = DenseStrides();
        void Walk(int level, int offset)
        {
            if (level == Dim)
            {
                result.Add(values[offset]);
                return;
            }
            foreach (var i in ShownIndices(shape[level], summarize: true))
            {
                Walk(level + 1, offset + i * dense[level]);
            }
        }
        Walk(0, 0);
        return [.. result];
    }

    /// <summary>Formats the sub-tensor at <paramref name="level"/> starting at <paramref name="offset"/> (PyTorch's <c>_tensor_str_with_formatter</c>).</summary>
    private string FormatLevel(double[] values, int level, int offset, int indent, bool summarize, ValueFormatter formatter)
    {
        var dense = DenseStrides();
        var size = shape[level];
        var elided = summarize && size > 2 * PrintEdgeItems;
        if (level == Dim - 1)
        {
            var elementLength = formatter.Width + 2;
            var perLine = Math.Max(1, (PrintLineWidth - indent) / elementLength);
            var data = new List<string>();
            foreach (var i in ShownIndices(size, summarize))
            {
                if (elided && i == size - PrintEdgeItems)
                {
                    data.Add(" ...");
                }
                data.Add(formatter.Format(values[offset + i * dense[level]]));
            }
            var lines = data.Chunk(perLine).Select(line => string.Join(", ", line));
            return "[" + string.Join(",\n" + new string(' ', indent + 1), lines) + "]";
        }
        var slices = new List<string>();
        foreach (var i in ShownIndices(size, summarize))
        {
            if (elided && i == size - PrintEdgeItems)
            {
                slices.Add("...");
            }
            slices.Add(FormatLevel(values, level + 1, offset + i * dense[level], indent + 1, summarize, formatter));
        }
        var separator = "," + new string('\n', Dim - level - 1) + new string(' ', indent + 1);
        return "[" + string.Join(separator, slices) + "]";
    }

    /// <summary>PyTorch's <c>_Formatter</c>: chooses integer, fixed or scientific notation and a common column width.</summary>
    private sealed class ValueFormatter
    {
        private readonly bool floating;
        private readonly bool intMode = true;
        private readonly bool sciMode;

        public ValueFormatter(DType dtype, double[] values)
        {
            floating = dtype.IsFloatingPoint();
            Width = 1;
            if (!floating)
            {
                foreach (var v in values)
                {
                    Width = Math.Max(Width, ((long)v).ToString(CultureInfo.InvariantCulture).Length);
                }
                return;
            }
            var nonzeroFinite = values.Where(v => double.IsFinite(v) && v != 0).ToArray();
            if (nonzeroFinite.Length == 0)
            {
                return;
            }
            var absMin = nonzeroFinite.Min(Math.Abs);
            var absMax = nonzeroFinite.Max(Math.Abs);
            intMode = nonzeroFinite.All(v => v == Math.Ceiling(v));
            sciMode = absMax / absMin > 1000.0 || absMax > 1.0e8 || (!intMode && absMin < 1.0e-4);
            foreach (var v in nonzeroFinite)
            {
                var length = sciMode ? Sci(v).Length : intMode ? Fixed(v, 0).Length + 1 : Fixed(v, PrintPrecision).Length;
                Width = Math.Max(Width, length);
            }
        }

        /// <summary>The column width: the longest formatted non-zero finite value.</summary>
        public int Width { get; }

        public string Format(double v)
        {
            string s;
            if (!floating)
            {
                s = ((long)v).ToString(CultureInfo.InvariantCulture);
            }
            else if (double.IsNaN(v))
            {
                s = "nan";
            }
            else if (double.IsInfinity(v))
            {
                s = v > 0 ? "inf" : "-inf";
            }
            else if (sciMode)
            {
                s = Sci(v);
            }
            else if (intMode)
            {
                s = Fixed(v, 0) + ".";
            }
            else
            {
                s = Fixed(v, PrintPrecision);
            }
            return s.PadLeft(Width);
        }

        /// <summary>Python's <c>f"{v:.Nf}"</c>.</summary>
        private static string Fixed(double v, int decimals) => v.ToString("F" + decimals, CultureInfo.InvariantCulture);

        /// <summary>Python's <c>f"{v:.4e}"</c>: mantissa with 4 decimals, exponent with sign and at least two digits.</summary>
        private static string Sci(double v) => v.ToString("0.0000e+00", CultureInfo.InvariantCulture);
    }
}
