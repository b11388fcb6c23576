using System.Globalization;
using System.Text;

namespace Sequin.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// PyTorch's printed form, e.g. <c>tensor([[0.1000, 0.2000]], dtype=torch.float64, grad_fn=&lt;AddBackward0&gt;)</c>.
    /// Use <see cref="Shape"/> for the shape tuple.
    /// </summary>
    public override string ToString()
    {
        var values = ToDoubleArray();
        var isInt = DType == DType.Int64;
        var finite = values.Where(double.IsFinite).ToArray();
        var allIntegral = finite.All(v => v == Math.Floor(v));
        var absMax = finite.Length > 0 ? finite.Max(Math.Abs) : 0;
        var nonzero = finite.Where(v => v != 0).Select(Math.Abs).ToArray();
        var absMin = nonzero.Length > 0 ? nonzero.Min() : 0;
        var sci = !isInt && !allIntegral && nonzero.Length > 0 && (absMax / absMin > 1000 || absMax > 1e8 || absMin < 1e-4);
        string Fmt(double v)
        {
            if (double.IsNaN(v))
            {
                return "nan";
            }
            if (double.IsInfinity(v))
            {
                return v > 0 ? "inf" : "-inf";
            }
            if (isInt)
            {
                return ((long)v).ToString(CultureInfo.InvariantCulture);
            }
            if (sci)
            {
                return v.ToString("0.0000e+00", CultureInfo.InvariantCulture);
            }
            return allIntegral ? v.ToString("0", CultureInfo.InvariantCulture) + "." : v.ToString("0.0000", CultureInfo.InvariantCulture);
        }
        var cells = values.Select(Fmt).ToArray();
        var width = cells.Length == 0 ? 0 : cells.Max(c => c.Length);
        var sb = new StringBuilder("tensor(");
        if (Dim == 0)
        {
            sb.Append(cells[0]);
        }
        else
        {
            var pos = 0;
            AppendLevel(sb, 0, ref pos, cells, width, 7);
        }
        if (DType == DType.Float64)
        {
            sb.Append(", dtype=torch.float64");
        }
        if (GradFn is not null)
        {
            sb.Append(", grad_fn=<").Append(GradFn.Name).Append('>');
        }
        else if (RequiresGrad)
        {
            sb.Append(", requires_grad=True");
        }
        return sb.Append(')').ToString();
    }

    private void AppendLevel(StringBuilder sb, int level, ref int pos, string[] cells, int width, int indent)
    {
        sb.Append('[');
        for (var i = 0; i < shape[level]; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
                if (level == Dim - 1)
                {
                    sb.Append(' ');
                }
                else
                {
                    sb.Append('\n', Dim - level - 1).Append(' ', indent + level + 1);
                }
            }
            if (level == Dim - 1)
            {
                sb.Append(cells[pos++].PadLeft(width));
            }
            else
            {
                AppendLevel(sb, level + 1, ref pos, cells, width, indent);
            }
        }
        sb.Append(']');
    }
}
