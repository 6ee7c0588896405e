"""The shapes and special tokens of the two fortune models, shared by train.py, fixtures.py and bench/pytorch_bench.py;
the C# declarations in src/TransformerKernels.Fortunes/FortuneModels.cs say the same (config.json is checked against them)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
import gpt2_reference  # noqa: E402
import llama_reference  # noqa: E402

MODEL_DIR = os.path.join(ROOT, "src", "TransformerKernels.Fortunes", "model")
UNK, BOS, EOS = 0, 1, 2
VOCAB, CONTEXT = 2048, 256

LLAMA = llama_reference.Config(d=256, heads=8, kv_heads=2, layers=4, ffn=704, vocab=VOCAB, max_seq=CONTEXT, theta=10000.0,
                               eps=1e-5, tied=True)
GPT2 = gpt2_reference.Config(d=256, heads=8, layers=4, vocab=VOCAB, positions=CONTEXT, eps=1e-5)
