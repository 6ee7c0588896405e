#!/usr/bin/python3
"""Times PyTorch (Debian's python3-torch 1.13 with OpenBLAS) on the shapes the .NET benchmarks use, in the same session,
and writes bench/pytorch-results.json for bench/RESULTS.md. Eval mode, torch.inference_mode(), batch_first=True and
string activations, so nn.TransformerEncoderLayer takes its fused fast path; torch.set_num_threads matches the .NET run.

  encoder_layer_d512   nn.TransformerEncoderLayer(512, 8, 2048, relu), seq 128, batch 1
  encoder_stack_d512   6 such layers (nn.TransformerEncoder)
  minilm_encoder       6 layers of MiniLM's shape (d384, 12 heads, FFN 1536, GELU, ε 1e-12), seq 16 and 128
  translate_tokens_s   greedy decoding of 我有一只猫 with the trained translator (nn.Transformer recomputes the target
                       each step: PyTorch has no key/value cache for nn.Transformer)
  fortune_llama_tokens_s  greedy generation with the trained Llama-style fortune model: the reference module of
                       tools/fixtures/llama_reference.py with its own key/value cache (prefill the prompt once, then one
                       token per step, as Hugging Face's generate does), 128 new tokens after a 9-token prompt
"""
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tools", "fixtures"))


def import_tool(directory, name):
    """Imports tools/<directory>/<name>.py. tools/train-translate and tools/train-generate both have a train.py and a
    corpus.py, so the directory goes first on sys.path while the module and its siblings import, and a sibling cached
    from the other directory is dropped first (with both directories on the path, `import train` found the wrong one)."""
    import importlib
    path = os.path.abspath(os.path.join(ROOT, "tools", directory))
    for cached in ("train", "corpus", name):
        module = sys.modules.get(cached)
        if module is not None and os.path.dirname(os.path.abspath(getattr(module, "__file__", "") or "")) != path:
            del sys.modules[cached]
    sys.path.insert(0, path)
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(path)


def loaded_blas():
    with open("/proc/self/maps") as maps:
        libs = {line.split()[-1] for line in maps if ".so" in line}
    return sorted(os.path.basename(l) for l in libs if "blas" in l.lower() or "lapack" in l.lower())


def openblas_core():
    """The kernel family OpenBLAS picked for this CPU (openblas_get_corename), or None when torch did not load OpenBLAS."""
    import ctypes
    with open("/proc/self/maps") as maps:
        libs = sorted({line.split()[-1] for line in maps if "libopenblas" in line and ".so" in line})
    if not libs:
        return None
    lib = ctypes.CDLL(libs[0])
    lib.openblas_get_corename.restype = ctypes.c_char_p
    return lib.openblas_get_corename().decode()


def matching_core_type():
    """The OPENBLAS_CORETYPE this CPU's instruction set deserves: OpenBLAS 0.3.21 does not know every CPU here (Intel
    Emerald Rapids, family 6 model 207, falls back to Prescott, an SSE3 kernel 3.5× slower), so the flags decide."""
    flags = next((line.split(":", 1)[1].split() for line in open("/proc/cpuinfo") if line.startswith("flags")), [])
    if "avx512_bf16" in flags:
        return "Cooperlake"
    if "avx512f" in flags:
        return "SkylakeX"
    return "Haswell" if "avx2" in flags else None


def ensure_openblas_core():
    """Re-runs this script with OPENBLAS_CORETYPE set when OpenBLAS picked a kernel below the CPU's instruction set (the
    variable is read when the library loads). Returns (core name, how it was chosen)."""
    core, wanted = openblas_core(), matching_core_type()
    if os.environ.get("OPENBLAS_CORETYPE"):
        return core, f"OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']}"
    avx_cores = ("Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids")
    if core is not None and wanted is not None and not any(c.lower() in core.lower() for c in avx_cores):
        print(f"OpenBLAS picked {core} on this CPU; running again with OPENBLAS_CORETYPE={wanted}", file=sys.stderr)
        os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, OPENBLAS_CORETYPE=wanted))
    return core, "detected by OpenBLAS"


def median_ms(fn, warmup=5, runs=30):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def encoder(d, heads, ffn, layers, activation, eps):
    layer = nn.TransformerEncoderLayer(d, heads, ffn, dropout=0.0, activation=activation, layer_norm_eps=eps, batch_first=True)
    return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False).eval() if layers > 1 else layer.eval()


def main():
    torch.manual_seed(0)
    core, chosen = ensure_openblas_core()
    print(f"OpenBLAS kernel: {core} ({chosen})", file=sys.stderr)
    results = {"torch": torch.__version__, "blas": loaded_blas(), "openblas_core": core, "openblas_core_chosen": chosen,
               "threads_default": torch.get_num_threads(), "cases": []}
    if not any("openblas" in b for b in results["blas"]):
        print("WARNING: torch did not load OpenBLAS; install libopenblas0-openmp or the comparison is against a crippled peer", file=sys.stderr)
    with torch.inference_mode():
        for threads in (1, 2):
            torch.set_num_threads(threads)
            for name, model, lengths in [
                ("encoder_layer_d512", encoder(512, 8, 2048, 1, "relu", 1e-5), [128]),
                ("encoder_stack_d512", encoder(512, 8, 2048, 6, "relu", 1e-5), [128]),
                ("minilm_encoder", encoder(384, 12, 1536, 6, "gelu", 1e-12), [16, 128]),
            ]:
                for length in lengths:
                    x = torch.randn(1, length, model.self_attn.embed_dim if hasattr(model, "self_attn") else model.layers[0].self_attn.embed_dim)
                    ms = median_ms(lambda: model(x))
                    results["cases"].append({"name": name, "threads": threads, "seq": length, "batch": 1, "ms": ms})
                    print(f"{name} seq {length} threads {threads}: {ms:.2f} ms")
            results["cases"].append({"name": "translate_tokens_s", "threads": threads, **translate_rate()})
            print(results["cases"][-1])
            results["cases"].append({"name": "fortune_llama_tokens_s", "threads": threads, **fortune_rate()})
            print(results["cases"][-1])
    with open(os.path.join(HERE, "pytorch-results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print("BLAS loaded:", results["blas"])


def translate_rate():
    import numpy as np
    import safetensors_io
    train = import_tool("train-translate", "train")
    model_dir = os.path.join(ROOT, "src", "TransformerKernels.ChineseEnglish", "model")
    source_vocab = [l.rstrip("\n") for l in open(os.path.join(model_dir, "source_vocab.txt"), encoding="utf-8") if l.strip()]
    target_vocab = [l.rstrip("\n") for l in open(os.path.join(model_dir, "target_vocab.txt"), encoding="utf-8") if l.strip()]
    model = train.Translator(len(source_vocab), len(target_vocab)).eval()
    arrays, _ = safetensors_io.load(os.path.join(model_dir, "translator.safetensors"))
    model.load_state_dict({k: torch.tensor(np.array(v)) for k, v in arrays.items()})
    src = torch.tensor([[source_vocab.index(c) for c in "我有一只猫"]])
    tokens = train.greedy(model, src)
    count = int((tokens[0] != train.PAD).sum())  # words + </s>
    ms = median_ms(lambda: train.greedy(model, src), warmup=3, runs=20)
    return {"ms": ms, "tokens": count, "tokens_per_s": count / ms * 1000}


# The prompt and length GenerationBenchmarks.FortuneGreedy uses: BOS + "A man is known by the company he", 128 new tokens.
FORTUNE_PROMPT, FORTUNE_NEW_TOKENS = "A man is known by the company he", 128


def fortune_rate():
    import sentencepiece as spm
    fixtures = import_tool("train-generate", "fixtures")
    import llama_reference
    shapes = import_tool("train-generate", "shapes")
    directory = os.path.join(ROOT, "src", "TransformerKernels.Fortunes", "model")
    model = fixtures.load(llama_reference.Llama(shapes.LLAMA), os.path.join(directory, "llama"))
    prompt = torch.tensor([shapes.BOS] + spm.SentencePieceProcessor(model_file=os.path.join(directory, "tokenizer.model")).encode(FORTUNE_PROMPT))

    def generate():
        cache = model.new_cache()
        logits = model(prompt, cache)[-1]
        for _ in range(FORTUNE_NEW_TOKENS - 1):
            logits = model(torch.argmax(logits).view(1), cache)[-1]
        return logits

    ms = median_ms(generate, warmup=2, runs=10)
    return {"ms": ms, "prompt_tokens": len(prompt), "tokens": FORTUNE_NEW_TOKENS, "tokens_per_s": FORTUNE_NEW_TOKENS / ms * 1000}


if __name__ == "__main__":
    main()
