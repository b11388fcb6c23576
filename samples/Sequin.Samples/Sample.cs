using System.Globalization;
using Sequin.Tensors;

namespace Sequin.Samples;

/// <summary>One seed article's example: prints what the article prints and asserts its shapes and relations.</summary>
public abstract class Sample
{
    /// <summary>Command-line name, e.g. <c>rnn-layers</c>.</summary>
    public abstract string Name { get; }

    /// <summary>One line saying what the sample shows.</summary>
    public abstract string Title { get; }

    /// <summary>Runs the sample, writing to <paramref name="output"/>; throws <see cref="SampleAssertionException"/> when a relation fails.</summary>
    public abstract void Run(TextWriter output);

    /// <summary>Asserts that <paramref name="tensor"/> has shape <paramref name="expected"/> and prints it as the article does.</summary>
    protected static void ExpectShape(TextWriter output, string name, Tensor tensor, params int[] expected)
    {
        output.WriteLine($"{name}.shape = {tensor.Shape}");
        if (tensor.Shape != new Shape(expected))
        {
            throw new SampleAssertionException($"{name} should have shape {new Shape(expected)}, got {tensor.Shape}.");
        }
    }

    /// <summary>Asserts that two tensors are equal (max |difference| ≤ <paramref name="atol"/>) and prints the relation as True.</summary>
    protected static void ExpectEqual(TextWriter output, string relation, Tensor left, Tensor right, double atol = 1e-6)
    {
        var diff = MaxAbsDiff(left, right);
        output.WriteLine($"{relation}: {(diff <= atol ? "True" : "False")}");
        if (!(diff <= atol))
        {
            throw new SampleAssertionException($"{relation} should hold; shapes {left.Shape} and {right.Shape}, max |difference| = {diff.ToString("G3", CultureInfo.InvariantCulture)}.");
        }
    }

    /// <summary>Asserts that two same-shaped tensors differ, printing the relation as False (the article's point is that they are not equal).</summary>
    protected static void ExpectDifferent(TextWriter output, string relation, Tensor left, Tensor right)
    {
        var diff = MaxAbsDiff(left, right);
        output.WriteLine($"{relation}: {(diff <= 1e-6 ? "True" : "False")}");
        if (diff <= 1e-6)
        {
            throw new SampleAssertionException($"{relation} should NOT hold, but the two tensors are equal.");
        }
    }

    /// <summary>Largest absolute difference (∞ when the shapes differ).</summary>
    protected static double MaxAbsDiff(Tensor left, Tensor right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        if (left.Shape != right.Shape)
        {
            return double.PositiveInfinity;
        }
        var a = left.ToDoubleArray();
        var b = right.ToDoubleArray();
        var m = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            m = Math.Max(m, Math.Abs(a[i] - b[i]));
        }
        return m;
    }
}

/// <summary>A sample's shape or relation did not hold.</summary>
public sealed class SampleAssertionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SampleAssertionException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SampleAssertionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    public SampleAssertionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
