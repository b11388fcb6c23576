using Sequin.Tensors;

namespace Sequin.Tests.Tensors;

/// <summary>Mistakes throw messages that name the operation, the expected and the actual shape (or dtype, or index).</summary>
public class ErrorTests
{
    private static void AssertMentions(Exception e, params string[] parts)
    {
        foreach (var p in parts)
        {
            Assert.Contains(p, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Item_OnManyElements() =>
        AssertMentions(Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(2, 3).Item()), "Item", "(2, 3)", "6 elements");

    [Fact]
    public void View_WrongElementCount() =>
        AssertMentions(Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).View(4, 2)), "view", "(4, 2)", "(2, 3)", "8", "6");

    [Fact]
    public void Reshape_Indivisible() =>
        AssertMentions(Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Reshape(4, -1)), "reshape", "(4, -1)", "(2, 3)");

    [Fact]
    public void Narrow_OutOfRange() =>
        AssertMentions(Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros(2, 3).Narrow(1, 2, 2)), "narrow", "size 3", "(2, 3)");

    [Fact]
    public void Dim_OutOfRange() =>
        AssertMentions(Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros(2, 3).Sum(2)), "sum", "dimension 2", "[-2, 1]");

    [Fact]
    public void Permute_WrongCount() =>
        AssertMentions(Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Permute(0)), "permute", "(2, 3)", "(0,)");

    [Fact]
    public void FromArray_WrongCount() =>
        AssertMentions(Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[5], 2, 3)), "FromArray", "(2, 3)", "6", "5");

    [Fact]
    public void Expand_Incompatible() =>
        AssertMentions(Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Expand(2, 4)), "expand", "(2, 3)", "(2, 4)");

    [Fact]
    public void GetValue_WrongIndexCount_AndOutOfRange()
    {
        AssertMentions(Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).GetValue(1)), "(2, 3)", "2 indices", "got 1");
        AssertMentions(Assert.Throws<IndexOutOfRangeException>(() => Tensor.Zeros(2, 3).GetValue(0, 3)), "Index 3", "size 3", "(2, 3)");
    }

    [Fact]
    public void ElementType_Mismatch() =>
        AssertMentions(Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(2).ToArray<double>()), "torch.float32", "Double");

    [Fact]
    public void Backward_NonScalarWithoutGradient()
    {
        var y = Tensor.Ones([2, 3], requiresGrad: true).Mul(2.0);
        AssertMentions(Assert.Throws<InvalidOperationException>(() => y.Backward()), "Backward", "(2, 3)");
        AssertMentions(Assert.Throws<ArgumentException>(() => y.Backward(Tensor.Ones(3))), "Backward", "(3,)", "(2, 3)");
    }

    [Fact]
    public void Backward_WithoutRequiresGrad() =>
        AssertMentions(Assert.Throws<InvalidOperationException>(() => Tensor.Ones(1).Backward()), "Backward", "RequiresGrad");

    [Fact]
    public void Cat_Mismatch() =>
        AssertMentions(Assert.Throws<ArgumentException>(() => Tensor.Cat([Tensor.Ones(2, 3), Tensor.Ones(3, 4)], 1)), "cat", "(2, 3)", "(3, 4)", "dimension 0");
}
