using System.ComponentModel;
using System.Runtime.InteropServices;

namespace TransformerKernels;

/// <summary>
/// 64-byte aligned native memory for packed weights and scratch: the GC never moves it, so kernels take raw pointers
/// without pinning, and every Vector512 load is aligned. Zeroed on allocation; freed on dispose or finalization.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed unsafe class NativeBuffer : IDisposable
{
    /// <summary>Extra floats after the end, so a kernel may read a whole vector at a row's last partial vector.</summary>
    public const int Slack = 16;

    private float* _pointer;
    private readonly bool _owned = true;

    /// <summary>Allocates <paramref name="length"/> zeroed floats (plus <see cref="Slack"/>).</summary>
    public NativeBuffer(long length) : this(length, zeroed: true)
    {
    }

    /// <summary>
    /// Allocates <paramref name="length"/> floats (plus <see cref="Slack"/>, always zeroed). Pass <paramref name="zeroed"/>
    /// false only when the caller overwrites every float at once: it saves a pass over large weight buffers at load.
    /// </summary>
    public NativeBuffer(long length, bool zeroed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        nuint bytes = (nuint)((length + Slack) * sizeof(float));
        _pointer = HugePages.Allocate(bytes);
        if (zeroed)
        {
            NativeMemory.Clear(_pointer, bytes);
        }
        else
        {
            NativeMemory.Clear(_pointer + length, Slack * sizeof(float));
        }
    }

    private NativeBuffer(float* pointer, long length)
    {
        _pointer = pointer;
        Length = length;
        _owned = false;
    }

    /// <summary>
    /// A buffer over memory someone else owns (a memory-mapped prepacked checkpoint): disposing it does not free the memory,
    /// and the owner must outlive it.
    /// </summary>
    internal static NativeBuffer View(float* pointer, long length) => new(pointer, length);

    /// <summary>Usable floats.</summary>
    public long Length { get; }

    /// <summary>The first float; throws once disposed.</summary>
    public float* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_pointer == null, this);
            return _pointer;
        }
    }

    /// <summary>The buffer as a span (only for buffers under 2^31 floats).</summary>
    public Span<float> Span => new(Pointer, checked((int)Length));

    /// <inheritdoc/>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the memory if the owner forgot to dispose.</summary>
    ~NativeBuffer() => Free();

    private void Free()
    {
        float* pointer = _pointer;
        _pointer = null;
        if (pointer != null && _owned)
        {
            NativeMemory.AlignedFree(pointer);
        }
    }
}
