using System.Globalization;
using System.Numerics.Tensors;

namespace TransformerKernels.Embeddings;

/// <summary>
/// The head of Hugging Face's <c>BertForSequenceClassification</c> on top of the encoder: the pooler
/// (<c>tanh(bert.pooler.dense · h[CLS] + b)</c>) and the classifier (<c>classifier · pooled + b</c> → num_labels logits).
/// Read from the same safetensors file as the encoder, whose loader leaves these tensors to us.
/// </summary>
internal sealed class ClassificationHead
{
    private const string PoolerWeight = "bert.pooler.dense.weight", PoolerBias = "bert.pooler.dense.bias",
        ClassifierWeight = "classifier.weight", ClassifierBias = "classifier.bias";

    private readonly float[] _poolerWeight, _poolerBias, _classifierWeight, _classifierBias; // [D, D], [D], [L, D], [L]
    private readonly int _width;

    private ClassificationHead(float[] poolerWeight, float[] poolerBias, float[] classifierWeight, float[] classifierBias, int width)
    {
        _poolerWeight = poolerWeight;
        _poolerBias = poolerBias;
        _classifierWeight = classifierWeight;
        _classifierBias = classifierBias;
        _width = width;
        Labels = classifierBias.Length;
    }

    /// <summary>Logits per pair (num_labels).</summary>
    public int Labels { get; }

    /// <summary>
    /// Reads the head from <paramref name="weightsPath"/> and checks that the file holds nothing else outside <c>bert.</c>
    /// (the encoder's tensors, checked by the encoder's loader).
    /// </summary>
    /// <exception cref="ModelWeightsException">A head tensor is missing or mis-shaped, or an unknown tensor is present.</exception>
    public static ClassificationHead Load(string weightsPath, int width)
    {
        using SafeTensorsFile file = SafeTensorsFile.Open(weightsPath);
        foreach (string name in file.Tensors.Keys)
        {
            if (!name.StartsWith("bert.", StringComparison.Ordinal) && name is not (ClassifierWeight or ClassifierBias))
            {
                throw new ModelWeightsException(name, "no such tensor", "present",
                    $"{weightsPath}: tensor '{name}' is neither the BERT encoder's (bert.*) nor the classifier's: another head than BertForSequenceClassification's?");
            }
        }
        if (!file.Tensors.TryGetValue(ClassifierWeight, out TensorInfo? classifier) || classifier.Shape.Length != 2 || classifier.Shape[1] != width || classifier.Shape[0] < 1)
        {
            throw new ModelWeightsException(ClassifierWeight, $"[num_labels, {width}]", classifier?.ShapeText ?? "missing",
                $"{weightsPath}: '{ClassifierWeight}' must be [num_labels, {width}]; found {classifier?.ShapeText ?? "nothing"}.");
        }
        int labels = (int)classifier.Shape[0];
        return new ClassificationHead(
            Read(file, weightsPath, PoolerWeight, [width, width]), Read(file, weightsPath, PoolerBias, [width]),
            Read(file, weightsPath, ClassifierWeight, [labels, width]), Read(file, weightsPath, ClassifierBias, [labels]), width);
    }

    private static float[] Read(SafeTensorsFile file, string path, string name, long[] shape)
    {
        string expected = "[" + string.Join(", ", shape.Select(s => s.ToString(CultureInfo.InvariantCulture))) + "]";
        if (!file.Tensors.TryGetValue(name, out TensorInfo? info) || !info.Shape.SequenceEqual(shape))
        {
            throw new ModelWeightsException(name, expected, info?.ShapeText ?? "missing", $"{path}: tensor '{name}' must be {expected}; found {info?.ShapeText ?? "nothing"}.");
        }
        return file.ReadArray(name);
    }

    /// <summary>The logits of one pair from its [CLS] hidden state, into <paramref name="logits"/> [Labels].</summary>
    public void Logits(ReadOnlySpan<float> cls, Span<float> logits)
    {
        Span<float> pooled = _width <= 1024 ? stackalloc float[_width] : new float[_width];
        for (int o = 0; o < _width; o++)
        {
            pooled[o] = TensorPrimitives.Dot(_poolerWeight.AsSpan(o * _width, _width), cls[.._width]) + _poolerBias[o];
        }
        TensorPrimitives.Tanh(pooled, pooled);
        for (int l = 0; l < Labels; l++)
        {
            logits[l] = TensorPrimitives.Dot(_classifierWeight.AsSpan(l * _width, _width), pooled) + _classifierBias[l];
        }
    }
}
