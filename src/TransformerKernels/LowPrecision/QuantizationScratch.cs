using System.ComponentModel;

namespace TransformerKernels;

/// <summary>
/// Per-thread scratch for quantized activations: a GEMM call quantizes its A on the calling thread before the workers read
/// it. Grows to the largest request once, then is reused (no allocation per forward); freed with the thread.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class QuantizationScratch
{
    [ThreadStatic]
    private static NativeBuffer? t_buffer;

    /// <summary>At least <paramref name="bytes"/> bytes, 64-byte aligned, valid until this thread's next call.</summary>
    public static byte* Rent(long bytes)
    {
        NativeBuffer? buffer = t_buffer;
        if (buffer is null || buffer.Length * sizeof(float) < bytes)
        {
            buffer?.Dispose();
            buffer = new NativeBuffer((bytes + 3) / 4, zeroed: false);
            t_buffer = buffer;
        }
        return (byte*)buffer.Pointer;
    }
}
