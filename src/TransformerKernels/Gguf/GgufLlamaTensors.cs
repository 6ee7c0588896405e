namespace TransformerKernels;

/// <summary>
/// A GGUF file of the llama graph (architectures <c>llama</c> — which Mistral files use too — and <c>qwen2</c>) seen as a
/// Hugging Face Llama checkpoint: llama.cpp's names mapped to <c>model.layers.{i}.self_attn.q_proj.weight</c> and the rest,
/// dimensions in PyTorch's order, and, for <c>llama</c>, the query and key rows put back in Hugging Face's order — llama.cpp's
/// converter interleaves each head's two rotary halves (row h·d + 2j + t holds Hugging Face's row h·d + t·d/2 + j), because
/// its rope rotates adjacent pairs. <c>qwen2</c> files keep Hugging Face's order (llama.cpp rotates their halves instead).
/// </summary>
internal sealed class GgufLlamaTensors : ITensorStore
{
    private static readonly (string Gguf, string HuggingFace)[] LayerNames =
    [
        ("attn_norm.weight", "input_layernorm.weight"),
        ("ffn_norm.weight", "post_attention_layernorm.weight"),
        ("attn_q.weight", "self_attn.q_proj.weight"),
        ("attn_k.weight", "self_attn.k_proj.weight"),
        ("attn_v.weight", "self_attn.v_proj.weight"),
        ("attn_q.bias", "self_attn.q_proj.bias"),
        ("attn_k.bias", "self_attn.k_proj.bias"),
        ("attn_v.bias", "self_attn.v_proj.bias"),
        ("attn_output.weight", "self_attn.o_proj.weight"),
        ("ffn_gate.weight", "mlp.gate_proj.weight"),
        ("ffn_up.weight", "mlp.up_proj.weight"),
        ("ffn_down.weight", "mlp.down_proj.weight"),
    ];

    private readonly GgufFile _file;
    private readonly Dictionary<string, TensorInfo> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Source, int PermuteHeads)> _sources = new(StringComparer.Ordinal);

    private GgufLlamaTensors(GgufFile file)
    {
        _file = file;
        Architecture = file.Text("general.architecture")
            ?? throw new GgufFormatException(file.FilePath, "has no 'general.architecture'; a model file names its graph (llama, qwen2)");
        if (Architecture is not ("llama" or "qwen2"))
        {
            throw new GgufFormatException(file.FilePath, $"general.architecture is \"{Architecture}\"; GGUF files of the llama and qwen2 architectures are read");
        }
        bool permute = Architecture == "llama";
        int heads = (int)(Key("attention.head_count") ?? throw new GgufFormatException(file.FilePath, $"has no '{Architecture}.attention.head_count'"));
        int kvHeads = (int)(Key("attention.head_count_kv") ?? heads);
        foreach (GgufTensor tensor in file.Tensors.Values)
        {
            (string name, int permuteHeads) = Rename(tensor.Name, permute, heads, kvHeads)
                ?? throw new GgufFormatException(file.FilePath, $"tensor '{tensor.Name}' has no place in a {Architecture} model (rope_freqs and other extras are not read)");
            long[] shape = tensor.RowMajorShape;
            if (permuteHeads > 0 && shape[0] % (2 * permuteHeads) != 0)
            {
                throw new GgufFormatException(file.FilePath, $"tensor '{tensor.Name}' has {shape[0]} rows, not a whole number of {permuteHeads} heads of even width");
            }
            TensorDType dtype = tensor.Type switch
            {
                GgufTensorType.F32 => TensorDType.F32,
                GgufTensorType.F16 => TensorDType.F16,
                GgufTensorType.BF16 => TensorDType.BF16,
                _ => TensorDType.Quantized,
            };
            _tensors.Add(name, new TensorInfo(name, dtype, shape, tensor.Offset, tensor.Offset + tensor.ByteLength));
            _sources.Add(name, (tensor.Name, permuteHeads));
        }
    }

    /// <summary>general.architecture: llama or qwen2.</summary>
    public string Architecture { get; }

    /// <summary>The file underneath, for its metadata.</summary>
    public GgufFile File => _file;

    public string FilePath => _file.FilePath;

    public IReadOnlyDictionary<string, TensorInfo> Tensors => _tensors;

    public IReadOnlyDictionary<string, string> Metadata { get; } = new Dictionary<string, string>();

    /// <summary>Opens a GGUF file as a Hugging Face Llama checkpoint.</summary>
    /// <exception cref="GgufFormatException">The file is malformed, of another architecture, or holds a tensor with no Llama name.</exception>
    public static GgufLlamaTensors Open(string path)
    {
        GgufFile file = GgufFile.Open(path);
        try
        {
            return new GgufLlamaTensors(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>A whole-number key of this architecture (<c>llama.block_count</c> …), or null.</summary>
    public long? Key(string suffix) => _file.Integer($"{Architecture}.{suffix}");

    /// <summary>A real-valued key of this architecture, or null.</summary>
    public double? RealKey(string suffix) => _file.Real($"{Architecture}.{suffix}");

    private static (string Name, int PermuteHeads)? Rename(string gguf, bool permute, int heads, int kvHeads)
    {
        switch (gguf)
        {
            case "token_embd.weight": return ("model.embed_tokens.weight", 0);
            case "output_norm.weight": return ("model.norm.weight", 0);
            case "output.weight": return ("lm_head.weight", 0);
        }
        if (!gguf.StartsWith("blk.", StringComparison.Ordinal) || gguf.IndexOf('.', 4) is var dot && dot < 0
            || !int.TryParse(gguf.AsSpan(4, dot - 4), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int layer))
        {
            return null;
        }
        string rest = gguf[(dot + 1)..];
        foreach ((string from, string to) in LayerNames)
        {
            if (rest == from)
            {
                int permuteHeads = !permute ? 0 : from.StartsWith("attn_q.", StringComparison.Ordinal) ? heads : from.StartsWith("attn_k.", StringComparison.Ordinal) ? kvHeads : 0;
                return ($"model.layers.{layer}.{to}", permuteHeads);
            }
        }
        return null;
    }

    public void Read(string name, Span<float> destination)
    {
        if (!_sources.TryGetValue(name, out (string Source, int PermuteHeads) source))
        {
            throw new KeyNotFoundException($"{Path.GetFileName(FilePath)} has no tensor '{name}'.");
        }
        if (source.PermuteHeads == 0)
        {
            _file.Read(source.Source, destination);
            return;
        }
        float[] interleaved = new float[destination.Length];
        _file.Read(source.Source, interleaved);
        long[] shape = _tensors[name].Shape;
        int rows = (int)shape[0], columns = shape.Length > 1 ? (int)shape[1] : 1, headRows = rows / source.PermuteHeads, half = headRows / 2;
        for (int h = 0; h < source.PermuteHeads; h++)
        {
            for (int t = 0; t < 2; t++)
            {
                for (int j = 0; j < half; j++)
                {
                    interleaved.AsSpan((h * headRows + 2 * j + t) * columns, columns).CopyTo(destination.Slice((h * headRows + t * half + j) * columns, columns));
                }
            }
        }
    }

    public float[] ReadArray(string name)
    {
        var result = new float[checked((int)_tensors[name].ElementCount)];
        Read(name, result);
        return result;
    }

    public void Dispose() => _file.Dispose();
}
