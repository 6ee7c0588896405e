using System.Text.Json.Nodes;

namespace TransformerKernels.HuggingFace.Tests;

/// <summary>
/// Bad input around the Hugging Face directories: config.json fields that disagree with the declaration (each error names
/// the field and the attribute property to change), unsupported or missing model types, malformed files, untied models
/// without lm_head, rotary scaling of the wrong kind, sliding windows, and explicit namings that do not fit.
/// </summary>
public sealed class ConfigurationTests
{
    private static ModelConfigurationException ConfigError(string directory, Action<JsonObject> edit, Action<string> load)
    {
        using var copy = Reference.Copy(directory, edit);
        return Assert.Throws<ModelConfigurationException>(() => load(copy.Directory));
    }

    [Theory]
    [InlineData("hidden_size", "48", "DModel")]
    [InlineData("num_attention_heads", "8", "Heads")]
    [InlineData("num_key_value_heads", "4", "KvHeads")]
    [InlineData("num_hidden_layers", "3", "DecoderLayers")]
    [InlineData("intermediate_size", "97", "FfnDim")]
    [InlineData("vocab_size", "62", "Vocab")]
    [InlineData("rms_norm_eps", "1e-06", "LayerNormEpsilon")]
    [InlineData("rope_theta", "500000.0", "RotaryTheta")]
    [InlineData("max_position_embeddings", "16", "MaxSeqLen")]
    [InlineData("head_dim", "32", "Heads (HeadDim = DModel / Heads)")]
    [InlineData("hidden_act", "\"gelu\"", "Activation")]
    [InlineData("attention_bias", "true", "Bias")]
    public void ALlamaConfigThatDisagreesNamesTheFieldAndTheProperty(string field, string value, string property)
    {
        var e = ConfigError("llama3_scaled_tiny", c => c[field] = JsonNode.Parse(value), path => TinyLlama3.Load(path).Dispose());
        Assert.Equal(field, e.Field);
        Assert.Equal(property, e.Property);
        Assert.Contains(field, e.Message);
        Assert.Contains(property, e.Message);
    }

    [Theory]
    [InlineData("factor", "4.0", "RopeScalingFactor")]
    [InlineData("low_freq_factor", "2.0", "RopeLowFrequencyFactor")]
    [InlineData("high_freq_factor", "8.0", "RopeHighFrequencyFactor")]
    [InlineData("original_max_position_embeddings", "8192", "RopeOriginalMaxPositions")]
    public void RopeScalingParametersThatDisagreeNameTheFieldAndTheProperty(string field, string value, string property)
    {
        var e = ConfigError("llama3_scaled_tiny", c => c["rope_scaling"]![field] = JsonNode.Parse(value), path => TinyLlama3.Load(path).Dispose());
        Assert.Equal("rope_scaling." + field, e.Field);
        Assert.Equal(property, e.Property);
        Assert.Contains(property, e.Message);
    }

    [Fact]
    public void AScaledConfigNeedsAScaledDeclaration()
    {
        var e = Assert.Throws<ModelConfigurationException>(() => TinyLlama3Unscaled.Load(Reference.Data("llama3_scaled_tiny")).Dispose());
        Assert.Equal("rope_scaling.rope_type", e.Field);
        Assert.Equal("RopeScaling", e.Property);
        Assert.Contains("RopeScaling = None", e.Message);
    }

    [Fact]
    public void AScaledDeclarationNeedsAScaledConfig()
    {
        var e = ConfigError("llama3_scaled_tiny", c => c["rope_scaling"] = null, path => TinyLlama3.Load(path).Dispose());
        Assert.Equal("rope_scaling", e.Field);
        Assert.Equal("RopeScaling", e.Property);
    }

    [Fact]
    public void LinearScalingIsNotLlama3Scaling()
    {
        var e = Assert.Throws<ModelConfigurationException>(() => TinyLlamaLinear.Load(Reference.Data("llama3_scaled_tiny")).Dispose());
        Assert.Equal("rope_scaling.rope_type", e.Field);
        Assert.Contains("RopeScaling = Linear", e.Message);
    }

    [Theory]
    [InlineData("rope_type", "dynamic")]
    [InlineData("rope_type", "yarn")]
    [InlineData("type", "longrope")]
    public void OtherKindsOfRopeScalingAreRefused(string typeField, string type)
    {
        var e = ConfigError("llama3_scaled_tiny", c => c["rope_scaling"] = new JsonObject { [typeField] = type, ["factor"] = 8.0 }, path => TinyLlama3.Load(path).Dispose());
        Assert.Equal("rope_scaling." + typeField, e.Field);
        Assert.Equal("RopeScaling", e.Property);
        Assert.Contains($"\"{type}\"", e.Message);
        Assert.Contains("\"linear\" and \"llama3\"", e.Message);
    }

    [Fact]
    public void AMistralSlidingWindowShorterThanMaxSeqLenIsRefused()
    {
        using var copy = Reference.Copy("mistral_tiny", c => c["sliding_window"] = 8);
        var e = Assert.Throws<ModelConfigurationException>(() => TinyMistral.Load(copy.Directory).Dispose());
        Assert.Equal("sliding_window", e.Field);
        Assert.Equal("MaxSeqLen", e.Property);
        // null: no window at all.
        copy.EditConfig(c => c["sliding_window"] = null);
        TinyMistral.Load(copy.Directory).Dispose();
    }

    [Fact]
    public void AQwen2SlidingWindowCountsOnlyWhenUsed()
    {
        // The fixture says sliding_window 4096 with use_sliding_window false; a short window applies only once used.
        using var copy = Reference.Copy("qwen2_tiny", c => c["sliding_window"] = 8);
        TinyQwen2.Load(copy.Directory).Dispose();
        copy.EditConfig(c => c["use_sliding_window"] = true);
        Assert.Equal("sliding_window", Assert.Throws<ModelConfigurationException>(() => TinyQwen2.Load(copy.Directory).Dispose()).Field);
    }

    [Fact]
    public void Qwen2NeedsQkvBias()
    {
        var e = Assert.Throws<ModelConfigurationException>(() => TinyQwen2WithoutQkvBias.Load(Reference.Data("qwen2_tiny")).Dispose());
        Assert.Equal("model_type", e.Field);
        Assert.Equal("QkvBias", e.Property);
        Assert.Contains("QkvBias", e.Message);
    }

    [Fact]
    public void WithoutAConfigAQwen2BiasHasNoPlaceWithoutQkvBias()
    {
        using var copy = Reference.Copy("qwen2_tiny");
        File.Delete(copy.ConfigPath);
        var e = Assert.Throws<ModelWeightsException>(() => TinyQwen2WithoutQkvBias.Load(copy.Directory, WeightNaming.Llama).Dispose());
        Assert.EndsWith("_proj.bias", e.TensorName);
    }

    [Fact]
    public void AnUntiedConfigWithoutLmHeadNamesBoth()
    {
        using var copy = Reference.Copy("llama3_scaled_tiny");
        string weights = Path.Combine(copy.Directory, "model.safetensors");
        RewriteWithout(weights, "lm_head.weight");
        var e = Assert.Throws<ModelWeightsException>(() => TinyLlama3.Load(copy.Directory).Dispose());
        Assert.Equal("lm_head.weight", e.TensorName);
        Assert.Contains("tie_word_embeddings", e.Message);
        // Declared tied, the embeddings serve.
        copy.EditConfig(c => c["tie_word_embeddings"] = true);
        TinyLlama3.Load(copy.Directory).Dispose();
    }

    [Fact]
    public void ATiedConfigTakesTheEmbeddingsOverAnLmHeadInTheFile()
    {
        // Hugging Face's tie_weights() makes lm_head the embedding table whatever the file holds; so do we.
        using var copy = Reference.Copy("qwen2_tiny");
        string weights = Path.Combine(copy.Directory, "model.safetensors");
        using (SafeTensorsFile file = SafeTensorsFile.Open(Reference.Data("qwen2_tiny/model.safetensors")))
        {
            var tensors = file.Tensors.Values.Select(t => (t.Name, t.Shape, file.ReadArray(t.Name))).ToList();
            var random = new Random(5);
            float[] head = [.. Enumerable.Range(0, TinyQwen2.DecoderVocab * TinyQwen2.DModel).Select(_ => (float)random.NextDouble())];
            SafeTensorsWriter.Write(weights, [.. tensors, ("lm_head.weight", [TinyQwen2.DecoderVocab, TinyQwen2.DModel], head)]);
        }
        using var original = TinyQwen2.Load(Reference.Data("qwen2_tiny"));
        using var withHead = TinyQwen2.Load(copy.Directory);
        Assert.Equal(original.Prefill([3, 14, 15], [3], 0).ToArray(), withHead.Prefill([3, 14, 15], [3], 0).ToArray());
    }

    [Fact]
    public void AnUnknownModelTypeListsTheSupportedOnes()
    {
        var e = ConfigError("mistral_tiny", c => c["model_type"] = "falcon", path => TinyMistral.Load(path).Dispose());
        Assert.Equal("model_type", e.Field);
        foreach (string type in new[] { "bert", "roberta", "xlm-roberta", "llama", "mistral", "qwen2", "gpt2" })
        {
            Assert.Contains($"\"{type}\"", e.Message);
        }
        Assert.Contains("\"falcon\"", e.Message);
    }

    [Fact]
    public void AConfigWithoutModelTypeIsNamed()
    {
        var e = ConfigError("mistral_tiny", c => c.Remove("model_type"), path => TinyMistral.Load(path).Dispose());
        Assert.Equal("model_type", e.Field);
        Assert.Contains("WeightNaming", e.Message);
    }

    [Theory]
    [InlineData("{ \"model_type\": \"mistral\", ")]
    [InlineData("[1, 2]")]
    public void AMalformedConfigIsNamed(string text)
    {
        using var copy = Reference.Copy("mistral_tiny");
        File.WriteAllText(copy.ConfigPath, text);
        var e = Assert.Throws<ModelConfigurationException>(() => TinyMistral.Load(copy.Directory).Dispose());
        Assert.Equal("config.json", e.Field);
        Assert.Contains(copy.ConfigPath, e.Message);
    }

    [Fact]
    public void PyTorchNamesOnALlamaCheckpointSayWhichNamingToUse()
    {
        // What issue 24 saw: "no decoder layers found (looked for 'decoder.layers.0.self_attn.in_proj_weight' …)" and no hint.
        var e = Assert.Throws<ModelWeightsException>(() => TinyLlama3.Load(Reference.Data("llama3_scaled_tiny"), WeightNaming.PyTorch).Dispose());
        Assert.Contains("no decoder layers found", e.Message);
        Assert.Contains("WeightNaming.Llama", e.Message);
        Assert.Contains("model_type \"llama\"", e.Message);
    }

    [Fact]
    public void AGpt2PositionTableThatDisagreesNamesPositionTableSize()
    {
        using var copy = Reference.Copy("qwen2_tiny");
        File.WriteAllText(copy.ConfigPath, """{ "model_type": "gpt2", "n_embd": 32, "n_head": 4, "n_layer": 1, "n_positions": 1024, "vocab_size": 53 }""");
        var e = Assert.Throws<ModelConfigurationException>(() => TinyGpt2.Load(copy.Directory).Dispose());
        Assert.Equal("n_positions", e.Field);
        Assert.Equal("PositionTableSize", e.Property);
        Assert.Contains("PositionTableSize = 40", e.Message);
    }

    private static void RewriteWithout(string path, string name)
    {
        List<(string, long[], float[])> tensors;
        using (SafeTensorsFile file = SafeTensorsFile.Open(path))
        {
            tensors = [.. file.Tensors.Values.Where(t => t.Name != name).Select(t => (t.Name, t.Shape, file.ReadArray(t.Name)))];
        }
        SafeTensorsWriter.Write(path, tensors);
    }
}
