#!/usr/bin/python3
"""Trains the two small decoder-only models samples/Generate and the tests run, on the fortunes of corpus.py:

  llama  RMSNorm, rotary positions, SwiGLU, grouped-query attention (8 query heads, 2 key/value heads), no biases, tied
         embeddings: the blocks of Llama 3, the module of tools/fixtures/llama_reference.py
  gpt2   LayerNorm, learned positions, GELU (tanh), biases, tied embeddings: tools/fixtures/gpt2_reference.py

Both are d_model 256, 4 layers, 256 positions, and read text through one SentencePiece BPE tokenizer (2048 pieces, byte
fallback, Llama's settings) trained here with Debian's python3-sentencepiece. Written under
src/TransformerKernels.Fortunes/model/ as a Hugging Face user has them, weights in F16:

  tokenizer.model                                   the SentencePiece model (read in .NET by Microsoft.ML.Tokenizers)
  llama/model.safetensors, llama/config.json        LlamaForCausalLM names
  gpt2/model-0000N-of-00002.safetensors, gpt2/model.safetensors.index.json, gpt2/config.json
                                                    GPT2LMHeadModel names, sharded in two files
  heldout.txt                                       the held-out fortunes, one per line

then runs fixtures.py, which reads those files back and writes what the C# side checks itself against.

Reproducible: seeded tokenizer input order, initialization and batches; one process. Not part of tests or CI.
Run:  apt-get install -y python3-torch python3-sentencepiece libopenblas0-openmp fortunes fortunes-min
      /usr/bin/python3 tools/train-generate/train.py [--minutes 12] [--only llama|gpt2]
"""
import argparse
import json
import math
import os
import sys
import tempfile
import time

import numpy as np
import sentencepiece as spm
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
import corpus  # noqa: E402
import fixtures  # noqa: E402
import gpt2_reference  # noqa: E402
import llama_reference  # noqa: E402
import safetensors_io  # noqa: E402
from shapes import BOS, CONTEXT, EOS, GPT2, LLAMA, MODEL_DIR, UNK, VOCAB  # noqa: E402



def train_tokenizer(texts, prefix):
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as f:
        f.write("\n".join(texts))
        path = f.name
    spm.SentencePieceTrainer.train(
        input=path, model_prefix=prefix, vocab_size=VOCAB, model_type="bpe", byte_fallback=True, split_digits=True,
        normalization_rule_name="identity", add_dummy_prefix=True, remove_extra_whitespaces=False,
        allow_whitespace_only_pieces=True, character_coverage=0.9999, unk_id=UNK, bos_id=BOS, eos_id=EOS, pad_id=-1,
        num_threads=2, input_sentence_size=0, shuffle_input_sentence=False, minloglevel=2)
    os.unlink(path)
    return spm.SentencePieceProcessor(model_file=prefix + ".model")


def token_stream(sp, texts):
    ids = []
    for ids_of_text in sp.encode(texts):
        ids.extend([BOS] + ids_of_text + [EOS])
    return torch.tensor(ids, dtype=torch.int64)


def initialize(model, layers):
    """GPT-2's initialization: N(0, 0.02), the projections into the residual stream scaled by 1/√(2·layers), norms at 1."""
    for name, parameter in model.named_parameters():
        if parameter.dim() == 1:
            nn.init.ones_(parameter) if name.endswith("weight") else nn.init.zeros_(parameter)
        else:
            std = 0.02 / math.sqrt(2 * layers) if name.endswith(("o_proj.weight", "down_proj.weight", "c_proj.weight")) else 0.02
            nn.init.normal_(parameter, 0.0, std)


def loss_on(model, stream, starts):
    batch = torch.stack([stream[s: s + CONTEXT + 1] for s in starts])
    logits = model(batch[:, :-1])
    return F.cross_entropy(logits.reshape(-1, VOCAB), batch[:, 1:].reshape(-1))


def train(name, model, layers, train_ids, valid_ids, minutes, batch=16, peak_lr=2e-3):
    torch.manual_seed(1)
    initialize(model, layers)
    # Weight decay on matrices only (not norms, biases or the position/embedding vectors' scale).
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                                  lr=peak_lr, betas=(0.9, 0.95))
    generator = torch.Generator().manual_seed(2)
    valid_starts = list(range(0, len(valid_ids) - CONTEXT - 1, CONTEXT))[:16]
    budget, begin, step, warmup = minutes * 60, time.time(), 0, 100
    model.train()
    while True:
        elapsed = time.time() - begin
        if elapsed >= budget:
            break
        # Cosine decay over the time budget (the step count is not known in advance), after a linear warm-up.
        progress = elapsed / budget
        lr = peak_lr * min(1.0, (step + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))
        for group in optimizer.param_groups:
            group["lr"] = lr
        starts = torch.randint(0, len(train_ids) - CONTEXT - 1, (batch,), generator=generator).tolist()
        loss = loss_on(model, train_ids, starts)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % 50 == 0:
            with torch.no_grad():
                model.eval()
                valid = loss_on(model, valid_ids, valid_starts).item()
                model.train()
            print(f"{name} step {step} {elapsed:.0f}s lr {lr:.2e} train {loss.item():.3f} valid {valid:.3f}", flush=True)
        step += 1
    model.eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(parameter.half().float())  # what the F16 checkpoint holds
        valid = loss_on(model, valid_ids, valid_starts).item()
    print(f"{name}: {step} steps, held-out loss {valid:.3f} (perplexity {math.exp(valid):.1f}) with F16 weights", flush=True)
    return {"steps": step, "held_out_loss": round(valid, 4)}


def f16(tensors):
    return {k: v.detach().numpy().astype(np.float16) for k, v in tensors.items()}


def save_llama(model, report):
    out = os.path.join(MODEL_DIR, "llama")
    os.makedirs(out, exist_ok=True)
    safetensors_io.save(os.path.join(out, "model.safetensors"), f16(model.hf_tensors()), {"format": "pt"})
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump({**LLAMA.hf_config(), "torch_dtype": "float16", "bos_token_id": BOS, "eos_token_id": EOS,
                   "training": report}, f, indent=2)


def save_gpt2(model, report):
    out = os.path.join(MODEL_DIR, "gpt2")
    os.makedirs(out, exist_ok=True)
    tensors = f16(model.hf_tensors())
    # Two shards split between layers, as Hugging Face's save_pretrained does for checkpoints above its shard size.
    first = {k: v for k, v in tensors.items() if not any(k.startswith(f"transformer.h.{i}.") for i in range(GPT2.layers // 2, GPT2.layers))
             and not k.startswith("transformer.ln_f")}
    second = {k: v for k, v in tensors.items() if k not in first}
    shards = {"model-00001-of-00002.safetensors": first, "model-00002-of-00002.safetensors": second}
    weight_map = {}
    for file, shard in shards.items():
        safetensors_io.save(os.path.join(out, file), shard, {"format": "pt"})
        weight_map.update({k: file for k in shard})
    with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": sum(v.nbytes for v in tensors.values())}, "weight_map": dict(sorted(weight_map.items()))}, f, indent=2)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump({**GPT2.hf_config(), "torch_dtype": "float16", "bos_token_id": BOS, "eos_token_id": EOS, "training": report}, f, indent=2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=12.0, help="training time per model")
    parser.add_argument("--only", choices=["llama", "gpt2"])
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count())
    os.makedirs(MODEL_DIR, exist_ok=True)
    train_texts, valid_texts = corpus.split()
    sp = train_tokenizer(train_texts, os.path.join(MODEL_DIR, "tokenizer"))
    os.unlink(os.path.join(MODEL_DIR, "tokenizer.vocab"))
    with open(os.path.join(MODEL_DIR, "heldout.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(valid_texts) + "\n")
    train_ids, valid_ids = token_stream(sp, train_texts), token_stream(sp, valid_texts)
    print(f"corpus: {len(train_ids)} training tokens, {len(valid_ids)} held out", flush=True)
    for name, build, save, layers in (("llama", lambda: llama_reference.Llama(LLAMA), save_llama, LLAMA.layers),
                                      ("gpt2", lambda: gpt2_reference.Gpt2(GPT2), save_gpt2, GPT2.layers)):
        if args.only and args.only != name:
            continue
        model = build()
        report = train(name, model, layers, train_ids, valid_ids, args.minutes)
        save(model, report)
        for p in ("Life is", "A man is known by the company he"):
            print(f"{name}: {sp.decode(fixtures.greedy(model, [BOS] + sp.encode(p))[1:])!r}", flush=True)
    fixtures.main()


if __name__ == "__main__":
    main()
