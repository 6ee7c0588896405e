namespace TransformerKernels.HuggingFace.Tests;

// The directories under Data/ declared as a user would: from their config.json alone, read by the generator at build time
// (the project hands Data/*/config.json to it as <TransformerModelConfig>). Each must be the same model as its explicit
// declaration in Models.cs (ShapeFromConfigTests) and pass the same PyTorch parity tests (EncoderParityTests,
// DecoderParityTests). MaxSeqLen, the one property a config.json does not fix, is written where its default (the config's
// position count) differs from the explicit declaration's, so the two declarations have equal shapes.

/// <summary>Data/roberta_tiny from its config.json: 18 − 2 position rows give MaxSeqLen 16, as declared by hand.</summary>
[TransformerModel(Config = "Data/roberta_tiny/config.json")]
public partial class TinyRobertaFromConfig;

/// <summary>Data/qwen2_tiny from its config.json (model_type qwen2: q/k/v biases, θ = 10⁶, tied embeddings).</summary>
[TransformerModel(Config = "Data/qwen2_tiny/config.json", MaxSeqLen = 24)]
public partial class TinyQwen2FromConfig;

/// <summary>Data/mistral_tiny from its config.json; MaxSeqLen must stay within its sliding_window of 32 anyway.</summary>
[TransformerModel(Config = "Data/mistral_tiny/config.json", MaxSeqLen = 24)]
public partial class TinyMistralFromConfig;

/// <summary>Data/llama3_scaled_tiny from its config.json, rope_scaling llama3 included.</summary>
[TransformerModel(Config = "Data/llama3_scaled_tiny/config.json", MaxSeqLen = 24)]
public partial class TinyLlama3FromConfig;
