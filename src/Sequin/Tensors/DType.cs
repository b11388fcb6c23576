namespace Sequin.Tensors;

/// <summary>The element type of a <see cref="Tensor"/>; mirrors <c>torch.float32</c>, <c>torch.float64</c> and <c>torch.int64</c>.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float (<c>torch.float32</c>), the default.</summary>
    Float32,

    /// <summary>64-bit IEEE float (<c>torch.float64</c>).</summary>
    Float64,

    /// <summary>64-bit signed integer (<c>torch.int64</c>), used for indices, lengths and tokens.</summary>
    Int64,
}

/// <summary>Helpers for <see cref="DType"/>.</summary>
public static class DTypeExtensions
{
    /// <summary>The PyTorch spelling, e.g. <c>torch.float32</c>.</summary>
    public static string TorchName(this DType dtype) => dtype switch
    {
        DType.Float32 => "torch.float32",
        DType.Float64 => "torch.float64",
        _ => "torch.int64",
    };

    /// <summary>Size of one element in bytes.</summary>
    public static int ElementSize(this DType dtype) => dtype == DType.Float32 ? 4 : 8;

    /// <summary>Whether the dtype is a floating-point type (and so can require gradients).</summary>
    public static bool IsFloatingPoint(this DType dtype) => dtype != DType.Int64;

    /// <summary>PyTorch's type promotion for two operands: float64 beats float32 beats int64.</summary>
    public static DType Promote(DType a, DType b)
        => a == DType.Float64 || b == DType.Float64 ? DType.Float64
         : a == DType.Float32 || b == DType.Float32 ? DType.Float32
         : DType.Int64;
}
